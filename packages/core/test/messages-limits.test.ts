/**
 * Every rule, table-driven: each row breaks one rule and must fail with the exact field path and a
 * message naming the limit. Rows at the limit must pass (nothing is truncated: output = input).
 */
import { ValidationError } from '../src/errors/error-classes';
import {
  URL_SHORTENER_HOSTS,
  buttonsMessage,
  choicesMessage,
  flowMessage,
  listMessage,
  markAsReadBody,
  mediaMessage,
  textMessage,
  validateOutboundMessage,
} from '../src/messages';

const TO = '+14155551234';
const x = (n: number, c = 'x') => c.repeat(n);
const SUPPORTED = 'text, image, audio, video, document, sticker, location, contacts, reaction, interactive, template';

const text = (body: unknown, extra: Record<string, unknown> = {}) => ({ to: TO, type: 'text', text: { body }, ...extra });
const media = (kind: string, payload: Record<string, unknown>) => ({ to: TO, type: kind, [kind]: payload });
const location = (payload: Record<string, unknown>) => ({ to: TO, type: 'location', location: payload });
const interactive = (payload: Record<string, unknown>) => ({ to: TO, type: 'interactive', interactive: payload });
const buttons = (list: Array<{ id: string; title: string }>, extra: Record<string, unknown> = {}) =>
  interactive({ type: 'button', body: { text: 'Pick' }, action: { buttons: list.map((reply) => ({ type: 'reply', reply })) }, ...extra });
const rows = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
const list = (action: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  interactive({ type: 'list', body: { text: 'Pick' }, action: { button: 'Open', ...action }, ...extra });
const flowParams = (p: Record<string, unknown>) =>
  interactive({ type: 'flow', body: { text: 'Go' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_id: '1', flow_cta: 'Open', ...p } } });
const template = (t: Record<string, unknown>) => ({ to: TO, type: 'template', template: { name: 'order_update', language: { code: 'en_US' }, ...t } });
const components = (...c: unknown[]) => template({ components: c });
const body = (...parameters: unknown[]) => ({ type: 'body', parameters });
const header = (...parameters: unknown[]) => ({ type: 'header', parameters });
const button = (sub_type: string, index: unknown, ...parameters: unknown[]) => ({ type: 'button', sub_type, index, parameters });
const withoutKey = <T extends Record<string, unknown>>(o: T, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

/** [what, input, field, message] — message is the whole `ValidationError.message`. */
const MESSAGE_ROWS: Array<[string, unknown, string, string]> = [
  // Envelope
  ['recipient too short', text('hi', { to: '+12' }), 'to', 'to: "+12" has 2 digits, a phone number needs 7 to 15 (with country code)'],
  ['recipient with letters', text('hi', { to: '+1 415 FLOWERS' }), 'to', 'to: "+1 415 FLOWERS" mixes letters into a phone number; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +, and a user id (BSUID) looks like US.1234567890123'],
  ['recipient missing', withoutKey(text('hi'), 'to'), 'to', 'to: is required'],
  ['type missing', withoutKey(text('hi'), 'type'), 'type', `type: is required; use one of: ${SUPPORTED}`],
  ['type unknown', { to: TO, type: 'poll', poll: {} }, 'type', `type: "poll" is not supported; use one of: ${SUPPORTED}`],
  ['not an object', 'hello', '', 'must be an object, got text "hello"'],
  ['messaging_product other than whatsapp', text('hi', { messaging_product: 'sms' }), 'messaging_product', 'messaging_product: must be "whatsapp", got "sms"'],
  ['group recipients', text('hi', { recipient_type: 'group' }), 'recipient_type', 'recipient_type: must be "individual", got "group"'],
  ['empty context.message_id', text('hi', { context: { message_id: '' } }), 'context.message_id', 'context.message_id: is empty'],
  ['biz_opaque_callback_data 513', text('hi', { biz_opaque_callback_data: x(513) }), 'biz_opaque_callback_data', 'biz_opaque_callback_data: 513 characters, the limit is 512'],
  ['unknown top-level field', text('hi', { foo: 1 }), 'foo', 'foo: is not a field Meta accepts here (check the spelling and the message type)'],
  ['payload missing', { to: TO, type: 'text' }, 'text', 'text: is required'],
  ['payload of another type', { to: TO, type: 'text', image: { id: '1' } }, 'text', 'text: is required'],
  // Text
  ['text 4097', text(x(4097)), 'text.body', 'text.body: 4097 characters, the limit is 4096'],
  ['text 4097 emoji (code points, not UTF-16 units)', text(x(4097, '😀')), 'text.body', 'text.body: 4097 characters, the limit is 4096'],
  ['text empty', text(''), 'text.body', 'text.body: is empty'],
  ['text whitespace', text('  \n'), 'text.body', 'text.body: is only whitespace'],
  ['text not a string', text(42), 'text.body', 'text.body: must be text, got number 42'],
  ['preview_url not boolean', { to: TO, type: 'text', text: { body: 'hi', preview_url: 'yes' } }, 'text.preview_url', 'text.preview_url: must be true or false, got text "yes"'],
  ['misspelt preview_url', { to: TO, type: 'text', text: { body: 'hi', preveiw_url: true } }, 'text.preveiw_url', 'text.preveiw_url: is not a field Meta accepts here (check the spelling and the message type)'],
  // Media
  ['media id and link', media('image', { id: '1', link: 'https://example.com/a.jpg' }), 'image.link', 'image.link: given together with id; give exactly one of id (uploaded media) and link'],
  ['media neither id nor link', media('image', { caption: 'x' }), 'image', 'image: needs an id (uploaded media) or a link (https URL)'],
  ['media http link', media('video', { link: 'http://example.com/a.mp4' }), 'video.link', 'video.link: must start with https:// (got http://)'],
  ['media link not a URL', media('document', { link: 'example.com/a.pdf' }), 'document.link', 'document.link: "example.com/a.pdf" is not a URL; give a full https:// address'],
  ['media link shortener', media('image', { link: 'https://bit.ly/abc' }), 'image.link', 'image.link: uses the link shortener bit.ly; Meta refuses shortened links, give the full URL'],
  ['media link shortener with www', media('image', { link: 'https://www.TinyURL.com/abc' }), 'image.link', 'image.link: uses the link shortener tinyurl.com; Meta refuses shortened links, give the full URL'],
  ['caption 1025', media('image', { id: '1', caption: x(1025) }), 'image.caption', 'image.caption: 1025 characters, the limit is 1024'],
  ['audio caption', media('audio', { id: '1', caption: 'x' }), 'audio.caption', 'audio.caption: audio messages cannot have a caption (only image, video and document can)'],
  ['sticker caption', media('sticker', { id: '1', caption: 'x' }), 'sticker.caption', 'sticker.caption: sticker messages cannot have a caption (only image, video and document can)'],
  ['image filename', media('image', { id: '1', filename: 'a.jpg' }), 'image.filename', 'image.filename: only documents have a filename, not image'],
  ['empty media id', media('audio', { id: '' }), 'audio.id', 'audio.id: is empty'],
  // Location
  ['latitude 90.5', location({ latitude: 90.5, longitude: 0 }), 'location.latitude', 'location.latitude: 90.5 is out of range, it must be between -90 and 90'],
  ['longitude -181', location({ latitude: 0, longitude: -181 }), 'location.longitude', 'location.longitude: -181 is out of range, it must be between -180 and 180'],
  ['latitude not numeric', location({ latitude: 'north', longitude: 0 }), 'location.latitude', 'location.latitude: "north" is not a number'],
  ['latitude missing', location({ longitude: 0 }), 'location.latitude', 'location.latitude: is required'],
  // Contacts
  ['no contacts', { to: TO, type: 'contacts', contacts: [] }, 'contacts', 'contacts: is empty, at least 1 needed'],
  ['258 contacts', { to: TO, type: 'contacts', contacts: Array.from({ length: 258 }, () => ({ name: { formatted_name: 'A' } })) }, 'contacts', 'contacts: 258 contacts, the limit is 257'],
  ['contact without formatted_name', { to: TO, type: 'contacts', contacts: [{ name: { first_name: 'A' } }] }, 'contacts[0].name.formatted_name', 'contacts[0].name.formatted_name: is required'],
  ['contact birthday format', { to: TO, type: 'contacts', contacts: [{ name: { formatted_name: 'A' }, birthday: '18/08/2012' }] }, 'contacts[0].birthday', 'contacts[0].birthday: "18/08/2012" is not a date in the form YYYY-MM-DD'],
  ['contact phone missing number', { to: TO, type: 'contacts', contacts: [{ name: { formatted_name: 'A' }, phones: [{ type: 'CELL' }] }] }, 'contacts[0].phones[0].phone', 'contacts[0].phones[0].phone: is required'],
  // Reaction
  ['reaction without message_id', { to: TO, type: 'reaction', reaction: { emoji: '👍' } }, 'reaction.message_id', 'reaction.message_id: is required'],
  ['reaction empty message_id', { to: TO, type: 'reaction', reaction: { message_id: '', emoji: '👍' } }, 'reaction.message_id', 'reaction.message_id: is empty'],
  ['reaction with context', { to: TO, type: 'reaction', reaction: { message_id: 'w', emoji: '👍' }, context: { message_id: 'w' } }, 'context', 'context: a reaction cannot be a reply; the message it reacts to goes in reaction.message_id'],
  ['reaction emoji missing', { to: TO, type: 'reaction', reaction: { message_id: 'w' } }, 'reaction.emoji', 'reaction.emoji: is required'],
  // Interactive: reply buttons
  ['interactive type unknown', interactive({ type: 'carousel', body: { text: 'x' }, action: {} }), 'interactive.type', 'interactive.type: "carousel" is not supported; use one of: button, list, cta_url, flow, location_request_message, product, product_list, catalog_message, call_permission_request'],
  ['0 buttons', buttons([]), 'interactive.action.buttons', 'interactive.action.buttons: is empty, at least 1 needed'],
  ['4 buttons', buttons(rows(4)), 'interactive.action.buttons', 'interactive.action.buttons: 4 buttons, the limit is 3'],
  ['button title 23', buttons([{ id: 'a', title: 'ok' }, { id: 'b', title: x(23) }]), 'interactive.action.buttons[1].reply.title', 'interactive.action.buttons[1].reply.title: 23 characters, the limit is 20'],
  ['button title empty', buttons([{ id: 'a', title: '' }]), 'interactive.action.buttons[0].reply.title', 'interactive.action.buttons[0].reply.title: is empty'],
  ['button titles repeat', buttons([{ id: 'a', title: 'Yes' }, { id: 'b', title: 'Yes' }]), 'interactive.action.buttons[1].reply.title', 'interactive.action.buttons[1].reply.title: "Yes" is used twice (also at buttons[0].reply); button titles must be unique'],
  ['button ids repeat', buttons([{ id: 'a', title: 'Yes' }, { id: 'a', title: 'No' }]), 'interactive.action.buttons[1].reply.id', 'interactive.action.buttons[1].reply.id: "a" is used twice (also at buttons[0].reply); button ids must be unique'],
  ['button id 257', buttons([{ id: x(257), title: 'ok' }]), 'interactive.action.buttons[0].reply.id', 'interactive.action.buttons[0].reply.id: 257 characters, the limit is 256'],
  ['button id with spaces', buttons([{ id: ' a', title: 'ok' }]), 'interactive.action.buttons[0].reply.id', 'interactive.action.buttons[0].reply.id: has spaces at the start or end, which Meta does not allow in a button id'],
  ['interactive body 1025', buttons([{ id: 'a', title: 'ok' }], { body: { text: x(1025) } }), 'interactive.body.text', 'interactive.body.text: 1025 characters, the limit is 1024'],
  ['interactive body missing', interactive({ type: 'button', action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'b' } }] } }), 'interactive.body', 'interactive.body: is required'],
  ['header text 61', buttons([{ id: 'a', title: 'ok' }], { header: { type: 'text', text: x(61) } }), 'interactive.header.text', 'interactive.header.text: 61 characters, the limit is 60'],
  ['footer 61', buttons([{ id: 'a', title: 'ok' }], { footer: { text: x(61) } }), 'interactive.footer.text', 'interactive.footer.text: 61 characters, the limit is 60'],
  ['header type sticker', buttons([{ id: 'a', title: 'ok' }], { header: { type: 'sticker', sticker: { id: '1' } } }), 'interactive.header.type', 'interactive.header.type: "sticker" is not supported; use one of: text, image, video, document'],
  ['header media http', buttons([{ id: 'a', title: 'ok' }], { header: { type: 'image', image: { link: 'http://e.com/a.png' } } }), 'interactive.header.image.link', 'interactive.header.image.link: must start with https:// (got http://)'],
  ['header media caption', buttons([{ id: 'a', title: 'ok' }], { header: { type: 'image', image: { id: '1', caption: 'c' } } }), 'interactive.header.image.caption', 'interactive.header.image.caption: a header has no caption; put the text in the body'],
  // Interactive: list
  ['list button 21', list({ button: x(21), sections: [{ rows: rows(1) }] }), 'interactive.action.button', 'interactive.action.button: 21 characters, the limit is 20'],
  ['list 0 sections', list({ sections: [] }), 'interactive.action.sections', 'interactive.action.sections: is empty, at least 1 needed'],
  ['list 11 sections', list({ sections: Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, `s${i}r`) })) }), 'interactive.action.sections', 'interactive.action.sections: 11 sections, the limit is 10'],
  ['list 11 rows in one section', list({ sections: [{ rows: rows(11) }] }), 'interactive.action.sections[0].rows', 'interactive.action.sections[0].rows: 11 rows, the limit is 10'],
  ['list 11 rows in all', list({ sections: [{ title: 'A', rows: rows(6, 'a') }, { title: 'B', rows: rows(5, 'b') }] }), 'interactive.action.sections', 'interactive.action.sections: 11 rows in all sections, the limit is 10'],
  ['section with no rows', list({ sections: [{ rows: [] }] }), 'interactive.action.sections[0].rows', 'interactive.action.sections[0].rows: is empty, at least 1 needed'],
  ['section title 25', list({ sections: [{ title: x(25), rows: rows(1) }] }), 'interactive.action.sections[0].title', 'interactive.action.sections[0].title: 25 characters, the limit is 24'],
  ['section title missing with 2 sections', list({ sections: [{ title: 'A', rows: rows(1, 'a') }, { rows: rows(1, 'b') }] }), 'interactive.action.sections[1].title', 'interactive.action.sections[1].title: is required when there is more than one section (there are 2)'],
  ['row id 201', list({ sections: [{ rows: [{ id: x(201), title: 't' }] }] }), 'interactive.action.sections[0].rows[0].id', 'interactive.action.sections[0].rows[0].id: 201 characters, the limit is 200'],
  ['row title 25', list({ sections: [{ rows: [{ id: 'a', title: x(25) }] }] }), 'interactive.action.sections[0].rows[0].title', 'interactive.action.sections[0].rows[0].title: 25 characters, the limit is 24'],
  ['row description 73', list({ sections: [{ rows: [{ id: 'a', title: 't', description: x(73) }] }] }), 'interactive.action.sections[0].rows[0].description', 'interactive.action.sections[0].rows[0].description: 73 characters, the limit is 72'],
  ['row ids repeat across sections', list({ sections: [{ title: 'A', rows: rows(1) }, { title: 'B', rows: rows(1) }] }), 'interactive.action.sections[1].rows[0].id', 'interactive.action.sections[1].rows[0].id: "r0" is used twice (also at sections[0].rows[0]); row ids (across all sections) must be unique'],
  ['list body 1025 (conservative)', list({ sections: [{ rows: rows(1) }] }, { body: { text: x(1025) } }), 'interactive.body.text', 'interactive.body.text: 1025 characters, the limit is 1024'],
  ['list media header', list({ sections: [{ rows: rows(1) }] }, { header: { type: 'image', image: { id: '1' } } }), 'interactive.header.type', 'interactive.header.type: "image" is not supported; use one of: text'],
  // Interactive: cta_url
  ['cta display_text 21', interactive({ type: 'cta_url', body: { text: 'b' }, action: { name: 'cta_url', parameters: { display_text: x(21), url: 'https://e.com' } } }), 'interactive.action.parameters.display_text', 'interactive.action.parameters.display_text: 21 characters, the limit is 20'],
  ['cta url http', interactive({ type: 'cta_url', body: { text: 'b' }, action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'http://e.com' } } }), 'interactive.action.parameters.url', 'interactive.action.parameters.url: must start with https:// (got http://)'],
  ['cta body 1025', interactive({ type: 'cta_url', body: { text: x(1025) }, action: { name: 'cta_url', parameters: { display_text: 'Go', url: 'https://e.com' } } }), 'interactive.body.text', 'interactive.body.text: 1025 characters, the limit is 1024'],
  // Interactive: flow
  ['flow_cta 31', flowParams({ flow_cta: x(31) }), 'interactive.action.parameters.flow_cta', "interactive.action.parameters.flow_cta: 31 characters, the limit is 30 (Meta's recommended maximum, enforced here)"],
  ['flow id and name', flowParams({ flow_name: 'n' }), 'interactive.action.parameters.flow_name', 'interactive.action.parameters.flow_name: given together with flow_id; give exactly one of flow_id and flow_name'],
  ['flow neither id nor name', flowParams({ flow_id: undefined }), 'interactive.action.parameters.flow_id', 'interactive.action.parameters.flow_id: is required (or flow_name): say which flow to open'],
  ['flow version 2', flowParams({ flow_message_version: '2' }), 'interactive.action.parameters.flow_message_version', 'interactive.action.parameters.flow_message_version: must be "3", got "2"'],
  ['flow_action unknown', flowParams({ flow_action: 'open' }), 'interactive.action.parameters.flow_action', 'interactive.action.parameters.flow_action: must be one of "navigate", "data_exchange", got "open"'],
  ['flow mode unknown', flowParams({ mode: 'live' }), 'interactive.action.parameters.mode', 'interactive.action.parameters.mode: must be one of "draft", "published", got "live"'],
  ['flow payload with data_exchange', flowParams({ flow_action: 'data_exchange', flow_action_payload: { screen: 'A' } }), 'interactive.action.parameters.flow_action_payload', 'interactive.action.parameters.flow_action_payload: is only for flow_action "navigate"; with "data_exchange" your endpoint chooses the first screen'],
  ['flow payload empty data', flowParams({ flow_action_payload: { screen: 'A', data: {} } }), 'interactive.action.parameters.flow_action_payload.data', 'interactive.action.parameters.flow_action_payload.data: is an empty object; Meta needs at least one key, or leave data out'],
  // Interactive: location request
  ['location request body 1025', interactive({ type: 'location_request_message', body: { text: x(1025) }, action: { name: 'send_location' } }), 'interactive.body.text', 'interactive.body.text: 1025 characters, the limit is 1024'],
  ['location request action name', interactive({ type: 'location_request_message', body: { text: 'b' }, action: { name: 'send' } }), 'interactive.action.name', 'interactive.action.name: must be "send_location", got "send"'],
  ['location request footer', interactive({ type: 'location_request_message', body: { text: 'b' }, footer: { text: 'f' }, action: { name: 'send_location' } }), 'interactive.footer', 'interactive.footer: location requests have only a body and the send_location action'],
  // Interactive: product, product_list, catalog
  ['product header', interactive({ type: 'product', header: { type: 'text', text: 'h' }, action: { catalog_id: '1', product_retailer_id: 'p' } }), 'interactive.header', 'interactive.header: single-product messages cannot have a header (Meta shows the product image)'],
  ['product without retailer id', interactive({ type: 'product', action: { catalog_id: '1' } }), 'interactive.action.product_retailer_id', 'interactive.action.product_retailer_id: is required'],
  ['product_list without header', interactive({ type: 'product_list', body: { text: 'b' }, action: { catalog_id: '1', sections: [{ title: 'A', product_items: [{ product_retailer_id: 'p' }] }] } }), 'interactive.header', 'interactive.header: is required'],
  ['product_list 31 in one section', interactive({ type: 'product_list', header: { type: 'text', text: 'h' }, body: { text: 'b' }, action: { catalog_id: '1', sections: [{ title: 'A', product_items: Array.from({ length: 31 }, (_, i) => ({ product_retailer_id: `p${i}` })) }] } }), 'interactive.action.sections[0].product_items', 'interactive.action.sections[0].product_items: 31 products, the limit is 30'],
  ['product_list 31 in all', interactive({ type: 'product_list', header: { type: 'text', text: 'h' }, body: { text: 'b' }, action: { catalog_id: '1', sections: [16, 15].map((n, s) => ({ title: `S${s}`, product_items: Array.from({ length: n }, (_, i) => ({ product_retailer_id: `p${s}-${i}` })) })) } }), 'interactive.action.sections', 'interactive.action.sections: 31 products in all sections, the limit is 30'],
  ['catalog without thumbnail', interactive({ type: 'catalog_message', body: { text: 'b' }, action: { name: 'catalog_message' } }), 'interactive.action.parameters', 'interactive.action.parameters: is required'],
  // Template
  ['template name with capitals and hyphen', template({ name: 'Order-Update' }), 'template.name', 'template.name: "Order-Update" is not a template name; names are lowercase letters, digits and underscores'],
  ['template name 513', template({ name: x(513, 'a') }), 'template.name', 'template.name: 513 characters, the limit is 512'],
  ['template language missing', { to: TO, type: 'template', template: { name: 'a' } }, 'template.language', 'template.language: is required'],
  ['template language code', template({ language: { code: 'english' } }), 'template.language.code', 'template.language.code: "english" is not a language code; use the template\'s code such as en, en_US or pt_BR'],
  ['template language policy', template({ language: { code: 'en', policy: 'fallback' } }), 'template.language.policy', 'template.language.policy: must be "deterministic", got "fallback"'],
  ['component type footer', components({ type: 'footer', parameters: [] }), 'template.components[0].type', 'template.components[0].type: "footer" is not supported; use one of: header, body, button, limited_time_offer, carousel'],
  ['header text parameter 61', components(header({ type: 'text', text: x(61) })), 'template.components[0].parameters[0].text', 'template.components[0].parameters[0].text: 61 characters, the limit is 60'],
  ['header 2 parameters', components(header({ type: 'text', text: 'a' }, { type: 'text', text: 'b' })), 'template.components[0].parameters', 'template.components[0].parameters: 2 parameters, the limit is 1'],
  ['body text parameter 32769', components(body({ type: 'text', text: x(32769) })), 'template.components[0].parameters[0].text', 'template.components[0].parameters[0].text: 32769 characters, the limit is 32768'],
  ['body text parameter with new line', components(body({ type: 'text', text: 'a\nb' })), 'template.components[0].parameters[0].text', 'template.components[0].parameters[0].text: contains a new line or tab, which Meta does not allow in a template variable (only the template text itself can have them)'],
  ['body text parameter with 5 spaces', components(body({ type: 'text', text: 'a     b' })), 'template.components[0].parameters[0].text', 'template.components[0].parameters[0].text: has more than 4 spaces in a row, which Meta does not allow in a template variable'],
  ['body parameter type image', components(body({ type: 'image', image: { id: '1' } })), 'template.components[0].parameters[0].type', 'template.components[0].parameters[0].type: "image" is not supported; use one of: text, currency, date_time'],
  ['named and positional mixed', components(body({ type: 'text', text: 'a', parameter_name: 'first_name' }, { type: 'text', text: 'b' })), 'template.components[0].parameters[1].parameter_name', 'template.components[0].parameters[1].parameter_name: is missing while 1 other parameter(s) here are named; give every parameter a parameter_name (named template) or none (positional template)'],
  ['parameter_name format', components(body({ type: 'text', text: 'a', parameter_name: 'First Name' })), 'template.components[0].parameters[0].parameter_name', 'template.components[0].parameters[0].parameter_name: "First Name" is not a variable name; names are lowercase letters, digits and underscores, as in the template\'s {{first_name}}'],
  ['currency code lowercase', components(body({ type: 'currency', currency: { fallback_value: '$1', code: 'usd', amount_1000: 1000 } })), 'template.components[0].parameters[0].currency.code', 'template.components[0].parameters[0].currency.code: "usd" is not an ISO 4217 currency code (three capital letters, e.g. USD)'],
  ['currency amount not integer', components(body({ type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: 1.5 } })), 'template.components[0].parameters[0].currency.amount_1000', 'template.components[0].parameters[0].currency.amount_1000: must be a whole number, got number 1.5'],
  ['date_time without fallback', components(body({ type: 'date_time', date_time: { year: 2025 } })), 'template.components[0].parameters[0].date_time.fallback_value', 'template.components[0].parameters[0].date_time.fallback_value: is required'],
  ['header image id and link', components(header({ type: 'image', image: { id: '1', link: 'https://e.com/a.png' } })), 'template.components[0].parameters[0].image.link', 'template.components[0].parameters[0].image.link: given together with id; give exactly one of id (uploaded media) and link'],
  ['header document shortener', components(header({ type: 'document', document: { link: 'https://t.co/x' } })), 'template.components[0].parameters[0].document.link', 'template.components[0].parameters[0].document.link: uses the link shortener t.co; Meta refuses shortened links, give the full URL'],
  ['header location latitude', components(header({ type: 'location', location: { latitude: 100, longitude: 0 } })), 'template.components[0].parameters[0].location.latitude', 'template.components[0].parameters[0].location.latitude: 100 is out of range, it must be between -90 and 90'],
  ['button index 10', components(button('quick_reply', 10, { type: 'payload', payload: 'p' })), 'template.components[0].index', 'template.components[0].index: 10 is not a button position; it must be 0 to 9'],
  ['button index "10"', components(button('quick_reply', '10', { type: 'payload', payload: 'p' })), 'template.components[0].index', 'template.components[0].index: "10" is not a button position; it must be 0 to 9'],
  ['button index missing', components({ type: 'button', sub_type: 'url', parameters: [{ type: 'text', text: 'x' }] }), 'template.components[0].index', 'template.components[0].index: is required'],
  ['button sub_type unknown', components(button('call', 0, { type: 'payload', payload: 'p' })), 'template.components[0].sub_type', 'template.components[0].sub_type: "call" is not supported; use one of: quick_reply, url, copy_code, flow, catalog, mpm'],
  ['coupon_code 16', components(button('copy_code', 0, { type: 'coupon_code', coupon_code: x(16) })), 'template.components[0].parameters[0].coupon_code', 'template.components[0].parameters[0].coupon_code: 16 characters, the limit is 15'],
  ['quick_reply with a text parameter', components(button('quick_reply', 0, { type: 'text', text: 'yes' })), 'template.components[0].parameters[0].type', 'template.components[0].parameters[0].type: "text" does not fit a quick_reply button; it takes a "payload" parameter'],
  ['two body components', components(body({ type: 'text', text: 'a' }), body({ type: 'text', text: 'b' })), 'template.components[1]', 'template.components[1]: a second body component (the first is at index 0); give each once'],
  ['two fills of button 0', components(button('url', 0, { type: 'text', text: 'a' }), button('url', '0', { type: 'text', text: 'b' })), 'template.components[1]', 'template.components[1]: a second button index 0 component (the first is at index 0); give each once'],
];

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, but the message was accepted');
}

describe('validateOutboundMessage refuses each broken rule with the field and the limit', () => {
  it.each(MESSAGE_ROWS)('%s', (_what, input, field, message) => {
    const error = refusal(() => validateOutboundMessage(input));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
    expect(error.code).toBe('validation_failed');
  });
});

/** [what, builder call, field, message] for the builders' own rules. */
const BUILDER_ROWS: Array<[string, () => unknown, string, string]> = [
  ['choices: 11 options', () => choicesMessage(TO, { prompt: 'q', options: rows(11) }), 'options', 'options: 11 options, the limit is 10'],
  ['choices: no options', () => choicesMessage(TO, { prompt: 'q', options: [] }), 'options', 'options: is empty, give 1 to 10 options'],
  ['choices: description with reply buttons', () => choicesMessage(TO, { prompt: 'q', options: [{ id: 'a', title: 'A' }, { id: 'b', title: 'B', description: 'more' }] }), 'options[1].description', 'options[1].description: reply buttons (1 to 3 options) cannot show a description; remove it, or send a list with listMessage'],
  ['choices: button title 21', () => choicesMessage(TO, { prompt: 'q', options: [{ id: 'a', title: x(21) }] }), 'options[0].title', 'options[0].title: 21 characters, the limit is 20'],
  ['choices: row title 25', () => choicesMessage(TO, { prompt: 'q', options: [...rows(4), { id: 'z', title: x(25) }] }), 'options[4].title', 'options[4].title: 25 characters, the limit is 24'],
  ['choices: duplicate ids in a list', () => choicesMessage(TO, { prompt: 'q', options: [{ id: 'a', title: '1' }, { id: 'b', title: '2' }, { id: 'c', title: '3' }, { id: 'a', title: '4' }] }), 'options[3].id', 'options[3].id: "a" is used twice (also at options[0]); row ids (across all sections) must be unique'],
  ['choices: duplicate titles as buttons', () => choicesMessage(TO, { prompt: 'q', options: [{ id: 'a', title: 'Same' }, { id: 'b', title: 'Same' }] }), 'options[1].title', 'options[1].title: "Same" is used twice (also at options[0]); button titles must be unique'],
  ['choices: prompt 1025', () => choicesMessage(TO, { prompt: x(1025), options: rows(2) }), 'prompt', 'prompt: 1025 characters, the limit is 1024'],
  ['choices: list button label 21', () => choicesMessage(TO, { prompt: 'q', options: rows(5), button: x(21) }), 'button', 'button: 21 characters, the limit is 20'],
  ['choices: header 61', () => choicesMessage(TO, { prompt: 'q', options: rows(5), header: x(61) }), 'header', 'header: 61 characters, the limit is 60'],
  ['choices: media header with a list', () => choicesMessage(TO, { prompt: 'q', options: rows(5), header: { type: 'image', image: { id: '1' } } }), 'header.type', 'header.type: "image" headers work only with 1 to 3 options; a list (4 or more) takes a text header'],
  ['choices: footer 61', () => choicesMessage(TO, { prompt: 'q', options: rows(2), footer: x(61) }), 'footer', 'footer: 61 characters, the limit is 60'],
  ['choices: bad recipient', () => choicesMessage('+12', { prompt: 'q', options: rows(2) }), 'to', 'to: "+12" has 2 digits, a phone number needs 7 to 15 (with country code)'],
  ['text: 4097', () => textMessage(TO, x(4097)), 'text.body', 'text.body: 4097 characters, the limit is 4096'],
  ['text: reply to empty id', () => textMessage(TO, 'hi', { replyTo: '' }), 'context.message_id', 'context.message_id: is empty'],
  ['media: caption on audio', () => mediaMessage(TO, 'audio', { id: '1' }, { caption: 'hello' }), 'audio.caption', 'audio.caption: audio messages cannot have a caption (only image, video and document can)'],
  ['media: filename on video', () => mediaMessage(TO, 'video', { id: '1' }, { filename: 'a.mp4' }), 'video.filename', 'video.filename: only documents have a filename, not video'],
  ['media: unknown kind', () => mediaMessage(TO, 'gif' as never, { id: '1' }), 'type', 'type: must be one of "image", "video", "document", "audio", "sticker", got "gif"'],
  ['buttons: 4', () => buttonsMessage(TO, { body: 'b', buttons: rows(4) }), 'interactive.action.buttons', 'interactive.action.buttons: 4 buttons, the limit is 3'],
  ['list: 11 rows', () => listMessage(TO, { body: 'b', button: 'Open', sections: [{ rows: rows(11) }] }), 'interactive.action.sections[0].rows', 'interactive.action.sections[0].rows: 11 rows, the limit is 10'],
  ['flow: id and name', () => flowMessage(TO, { body: 'b', cta: 'Go', flowId: '1', flowName: 'n' }), 'interactive.action.parameters.flow_name', 'interactive.action.parameters.flow_name: given together with flow_id; give exactly one of flow_id and flow_name'],
  ['markAsRead: empty id', () => markAsReadBody(''), 'message_id', 'message_id: is empty'],
];

describe('builders refuse with the field the caller wrote', () => {
  it.each(BUILDER_ROWS)('%s', (_what, run, field, message) => {
    const error = refusal(run);
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });
});

describe('values exactly at a limit pass unchanged (nothing is truncated)', () => {
  const AT_LIMIT: Array<[string, Record<string, unknown>]> = [
    ['text 4096 emoji', text(x(4096, '😀'))],
    ['caption 1024', media('document', { link: 'https://example.com/a.pdf', caption: x(1024), filename: 'a.pdf' })],
    ['biz_opaque_callback_data 512', text('hi', { biz_opaque_callback_data: x(512) })],
    ['3 buttons, title 20, id 256', buttons([{ id: x(256), title: x(20) }, { id: 'b', title: 'B' }, { id: 'c', title: 'C' }], { header: { type: 'text', text: x(60) }, footer: { text: x(60) }, body: { text: x(1024) } })],
    ['10 sections, 10 rows', list({ button: x(20), sections: Array.from({ length: 10 }, (_, i) => ({ title: x(24).slice(0, 23) + i, rows: [{ id: `${x(199)}${i}`, title: x(24), description: x(72) }] })) })],
    ['latitude -90, longitude 180 as strings', location({ latitude: '-90', longitude: '180' })],
    ['flow_cta 30', flowParams({ flow_cta: x(30) })],
    ['template header text 60, COPY_CODE in capitals, coupon 15, index 9', components(header({ type: 'text', text: x(60) }), button('COPY_CODE', 9, { type: 'coupon_code', coupon_code: x(15) }))],
    ['257 contacts', { to: TO, type: 'contacts', contacts: Array.from({ length: 257 }, () => ({ name: { formatted_name: 'A' } })) }],
    ['reaction removal', { to: TO, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '' } }],
    ['BSUID recipient', text('hi', { to: 'BR.ENT.123' })],
  ];
  it.each(AT_LIMIT)('%s', (_what, input) => {
    expect(validateOutboundMessage(input)).toStrictEqual(input);
  });

  it('template name of 512 characters is accepted', () => {
    const input = template({ name: x(512, 'a') });
    expect(validateOutboundMessage(input)).toStrictEqual(input);
  });
});

describe('URL_SHORTENER_HOSTS', () => {
  it('holds the common shorteners, frozen so nobody edits it at run time', () => {
    expect(URL_SHORTENER_HOSTS).toEqual(expect.arrayContaining(['bit.ly', 'tinyurl.com', 'goo.gl', 't.co', 'ow.ly', 'is.gd', 'buff.ly', 'rebrand.ly', 'cutt.ly', 'shorturl.at', 'tiny.cc', 'rb.gy', 'bl.ink', 's.id']));
    expect(Object.isFrozen(URL_SHORTENER_HOSTS)).toBe(true);
  });

  it.each(URL_SHORTENER_HOSTS)('a media link on %s is refused', (host) => {
    expect(() => validateOutboundMessage(media('image', { link: `https://${host}/abc` }))).toThrow(`image.link: uses the link shortener ${host};`);
  });

  it('a host that merely ends like a shortener is fine', () => {
    const input = media('image', { link: 'https://notbit.ly/a.png' });
    expect(validateOutboundMessage(input)).toStrictEqual(input);
  });
});
