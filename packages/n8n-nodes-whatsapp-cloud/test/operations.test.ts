/**
 * Every send operation of the action node, its Callback Data option, the template list search /
 * languages / resource-mapper methods and a non-default API version, run through the node's router
 * against the sandbox; each test asserts what the sandbox received.
 */
import type { ILoadOptionsFunctions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { getTemplateParameters } from '../nodes/WhatsAppCloud/v1/methods/resourceMapping';
import { searchTemplates } from '../nodes/WhatsAppCloud/v1/methods/listSearch';
import { getTemplateLanguages } from '../nodes/WhatsAppCloud/v1/methods/loadOptions';
import { requestsDuring, runNode, sendsIn, type ContextOptions } from './support/execute-context';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
});
afterAll(() => sandbox.close());

let users = 0;
/** A fresh user with an open window (in the sandbox; the node's own guard is off for these sends). */
function user(): string {
  const waId = `1555333${String(++users).padStart(4, '0')}`;
  sandbox.setWindow(waId);
  return waId;
}

/** Runs one message operation for one item; returns the output and the message bodies the sandbox accepted. */
async function send(params: Record<string, unknown>, extra: Partial<ContextOptions> = {}) {
  const { result, requests } = await requestsDuring(sandbox, () =>
    runNode(sandbox, { params: { resource: 'message', ...params, options: { windowPolicy: 'off', maxAttempts: 1, ...(params.options as object) } }, ...extra }),
  );
  const sends = sendsIn(sandbox, requests);
  return { out: result, sends, bodies: sends.map((r) => r.body as Record<string, any>) };
}

/** The error a run fails with (and the requests it made meanwhile). */
async function failure(params: Record<string, unknown>, extra: Partial<ContextOptions> = {}) {
  const { result, requests } = await requestsDuring(sandbox, () =>
    runNode(sandbox, { params: { resource: 'message', ...params, options: { windowPolicy: 'off', ...(params.options as object) } }, ...extra }).then(
      () => undefined,
      (error: Error) => error,
    ),
  );
  expect(result).toBeDefined();
  return { error: result!, requests };
}

describe('send operations', () => {
  test('Send Media by link: image with caption, and the Callback Data option as biz_opaque_callback_data', async () => {
    const to = user();
    const { out, bodies } = await send({ operation: 'sendMedia', to: `+${to}`, mediaType: 'image', mediaSource: 'link', mediaLink: 'https://example.com/receipt.jpg', caption: 'Receipt', options: { bizOpaqueCallbackData: 'order-77' } });
    expect(bodies).toEqual([expect.objectContaining({ to: `+${to}`, type: 'image', image: { link: 'https://example.com/receipt.jpg', caption: 'Receipt' }, biz_opaque_callback_data: 'order-77' })]);
    expect(out[0]!.json.messageId).toBe(sandbox.messages.at(-1)!.id);
  });

  test('Media → Upload, then Send Media by that ID: a document with its file name', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%EOF\n');
    const uploaded = await runNode(sandbox, { params: { resource: 'media', operation: 'upload', binaryPropertyName: 'data' }, items: [{ binary: { data: { data: pdf, mimeType: 'application/pdf', fileName: 'invoice.pdf' } } }] });
    const mediaId = uploaded[0]!.json.mediaId as string;
    expect(mediaId).toMatch(/^\d+$/);
    const to = user();
    const { bodies } = await send({ operation: 'sendMedia', to, mediaType: 'document', mediaSource: 'id', mediaId, filename: 'Invoice March.pdf' });
    expect(bodies[0]).toMatchObject({ type: 'document', document: { id: mediaId, filename: 'Invoice March.pdf' } });
    expect(sandbox.messages.at(-1)!.statuses.map((s) => s.status)).not.toContain('failed');
  });

  test('Send Sticker by link', async () => {
    const to = user();
    const { bodies } = await send({ operation: 'sendSticker', to, mediaSource: 'link', mediaLink: 'https://example.com/hi.webp' });
    expect(bodies).toEqual([expect.objectContaining({ type: 'sticker', sticker: { link: 'https://example.com/hi.webp' } })]);
  });

  test('Send Location', async () => {
    const to = user();
    const { bodies } = await send({ operation: 'sendLocation', to, latitude: 52.52, longitude: 13.405, locationName: 'Depot', address: 'Alexanderplatz 1, Berlin' });
    expect(bodies[0]).toMatchObject({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Depot', address: 'Alexanderplatz 1, Berlin' } });
  });

  test('Send Contacts from JSON text; bad JSON fails naming the field before any request', async () => {
    const to = user();
    const card = { name: { formatted_name: 'Ana Souza', first_name: 'Ana' }, phones: [{ phone: '+14155550123', type: 'WORK' }] };
    const { bodies } = await send({ operation: 'sendContacts', to, contacts: JSON.stringify([card]) });
    expect(bodies[0]).toMatchObject({ type: 'contacts', contacts: [card] });

    const { error, requests } = await failure({ operation: 'sendContacts', to, contacts: '[{"name": ' });
    expect(error.message).toMatch(/Contacts \(JSON\)/);
    expect(requests).toEqual([]);
  });

  test('Send Reaction to a user\'s message (and an empty emoji removes it)', async () => {
    const to = user();
    const wamid = await sandbox.inbound({ from: to, text: 'my order?' });
    const { bodies } = await send({ operation: 'sendReaction', to, messageId: wamid, emoji: '👍' });
    expect(bodies[0]).toMatchObject({ type: 'reaction', reaction: { message_id: wamid, emoji: '👍' } });
    const removed = await send({ operation: 'sendReaction', to, messageId: wamid, emoji: '' });
    expect(removed.bodies[0]).toMatchObject({ reaction: { message_id: wamid, emoji: '' } });
  });

  describe('Send Interactive', () => {
    const base = (to: string, extra: Record<string, unknown>) => ({ operation: 'sendInteractive', to, body: 'Pick one', interactiveOptions: { header: 'Delivery', footer: 'Shop' }, ...extra });

    test('reply buttons', async () => {
      const to = user();
      const { bodies } = await send(base(to, { interactiveType: 'buttons', buttons: { button: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] } }));
      expect(bodies[0]!.interactive).toEqual({
        type: 'button',
        header: { type: 'text', text: 'Delivery' },
        body: { text: 'Pick one' },
        footer: { text: 'Shop' },
        action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] },
      });
    });

    test('list: rows grouped into sections by their section title', async () => {
      const to = user();
      const rows = [
        { id: 'a', title: 'Morning', section: 'Today' },
        { id: 'b', title: 'Evening', section: 'Today', description: '18-21' },
        { id: 'c', title: 'Morning', section: 'Tomorrow' },
      ];
      const { bodies } = await send(base(to, { interactiveType: 'list', listButton: 'Slots', rows: { row: rows } }));
      expect(bodies[0]!.interactive).toMatchObject({
        type: 'list',
        action: {
          button: 'Slots',
          sections: [
            { title: 'Today', rows: [{ id: 'a', title: 'Morning' }, { id: 'b', title: 'Evening', description: '18-21' }] },
            { title: 'Tomorrow', rows: [{ id: 'c', title: 'Morning' }] },
          ],
        },
      });
    });

    test('call-to-action URL', async () => {
      const to = user();
      const { bodies } = await send(base(to, { interactiveType: 'ctaUrl', displayText: 'Track', url: 'https://example.com/t/1' }));
      expect(bodies[0]!.interactive).toMatchObject({ type: 'cta_url', action: { name: 'cta_url', parameters: { display_text: 'Track', url: 'https://example.com/t/1' } } });
    });

    test('flow with its data; Flow Data that is not JSON fails naming the field (not a raw SyntaxError), before any request', async () => {
      const to = user();
      const flow = { interactiveType: 'flow', flowId: '1234567890', flowCta: 'Book', interactiveOptions: { flowAction: 'navigate', flowScreen: 'WELCOME', flowData: '{"order_id": "A-1"}', flowSession: 'session-9' } };
      const { bodies } = await send(base(to, flow));
      expect(bodies[0]!.interactive).toMatchObject({
        type: 'flow',
        action: { name: 'flow', parameters: { flow_id: '1234567890', flow_cta: 'Book', flow_token: 'session-9', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME', data: { order_id: 'A-1' } } } },
      });

      const bad = await failure(base(to, { ...flow, interactiveOptions: { ...flow.interactiveOptions, flowData: "{order_id: 'A-1'}" } }));
      expect(bad.error.name).not.toBe('SyntaxError');
      expect(bad.error.message).toMatch(/^Flow Data \(JSON\) is not valid JSON/);
      expect(bad.requests).toEqual([]);
      const notObject = await failure(base(to, { ...flow, interactiveOptions: { ...flow.interactiveOptions, flowData: '[1, 2]' } }));
      expect(notObject.error.message).toMatch(/Flow Data \(JSON\) must be a JSON object/);
    });

    test('location request', async () => {
      const to = user();
      const { bodies } = await send({ operation: 'sendInteractive', to, body: 'Where should we deliver?', interactiveType: 'locationRequest' });
      expect(bodies[0]!.interactive).toEqual({ type: 'location_request_message', body: { text: 'Where should we deliver?' }, action: { name: 'send_location' } });
    });
  });

  test('Send Choices: 3 options become reply buttons, 5 become a list', async () => {
    const to = user();
    const option = (n: number) => ({ id: `o${n}`, title: `Option ${n}` });
    const three = await send({ operation: 'sendChoices', to, prompt: 'Choose', choices: { choice: [1, 2, 3].map(option) } });
    expect(three.bodies[0]!.interactive).toMatchObject({ type: 'button', body: { text: 'Choose' } });
    expect(three.bodies[0]!.interactive.action.buttons).toHaveLength(3);
    const five = await send({ operation: 'sendChoices', to, prompt: 'Choose', choices: { choice: [1, 2, 3, 4, 5].map(option) }, choicesOptions: { button: 'Options' } });
    expect(five.bodies[0]!.interactive).toMatchObject({ type: 'list', action: { button: 'Options' } });
    expect(five.bodies[0]!.interactive.action.sections[0].rows.map((r: { id: string }) => r.id)).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
  });

  test.each([true, false])('Mark as Read (typing indicator %s)', async (typing) => {
    const to = user();
    const wamid = await sandbox.inbound({ from: to, text: 'hello' });
    const { out, sends } = await send({ operation: 'markAsRead', messageId: wamid, options: { typing } });
    expect(sends.map((r) => r.body)).toEqual([{ messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(typing ? { typing_indicator: { type: 'text' } } : {}) }]);
    expect(out[0]!.json).toMatchObject({ success: true });
    expect(sandbox.inbounds.find((i) => i.id === wamid)?.readAt).toBeDefined();
  });

  test('Callback Data on a text send reaches Meta; over 512 characters it fails naming the field, before any request', async () => {
    const to = user();
    const { bodies } = await send({ operation: 'sendText', to, text: 'hi', options: { bizOpaqueCallbackData: 'crm-ticket-12' } });
    expect(bodies[0]).toMatchObject({ biz_opaque_callback_data: 'crm-ticket-12' });
    const tooLong = await failure({ operation: 'sendText', to, text: 'hi', options: { bizOpaqueCallbackData: 'x'.repeat(513) } });
    expect(tooLong.error.message).toMatch(/biz_opaque_callback_data.*512/);
    expect(tooLong.requests).toEqual([]);
  });
});

describe('API version', () => {
  test('a non-default version from the credential is the one in every URL', async () => {
    const to = user();
    const { sends } = await send({ operation: 'sendText', to, text: 'on v23' }, { credentials: { apiVersion: 'v23.0' } });
    expect(sends.map((r) => r.path)).toEqual([`/v23.0/${sandbox.phoneNumberId}/messages`]);
    const listed = await requestsDuring(sandbox, () => runNode(sandbox, { params: { resource: 'template', operation: 'list', filters: { name: 'order_update' } }, credentials: { apiVersion: 'v24.0' } }));
    expect(listed.requests.map((r) => r.path.split('/')[1])).toEqual(['v24.0']);
    expect(listed.result.map((i) => i.json.name)).toEqual(['order_update']);
  });

  test('a version that is not vNN.N fails naming the field, before any request', async () => {
    const { error, requests } = await failure({ operation: 'sendText', to: user(), text: 'x' }, { credentials: { apiVersion: '23' } });
    expect(error.message).toMatch(/apiVersion "23"/);
    expect(requests).toEqual([]);
  });
});

describe('template pickers (list search, languages, resource mapper)', () => {
  const loadContext = (params: Record<string, unknown>) =>
    ({
      getCredentials: async () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url }),
      getNode: () => ({ id: 'n', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0], parameters: {} }),
      getNodeParameter: (name: string) => params[name],
      getCurrentNodeParameter: (name: string) => params[name],
    }) as unknown as ILoadOptionsFunctions;

  test('search lists APPROVED template names (with their languages) and filters by text', async () => {
    const { result, requests } = await requestsDuring(sandbox, () => searchTemplates.call(loadContext({}), 'ORDER'));
    expect(result.results.map((r) => r.value)).toEqual(['order_confirmation', 'order_update']);
    expect(result.results[1]).toEqual({ name: 'order_update (en)', value: 'order_update' });
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.method === 'GET' && r.path === `/v25.0/${sandbox.wabaId}/message_templates` && r.query.status === 'APPROVED')).toBe(true);
  });

  test('languages of the chosen template', async () => {
    const languages = await getTemplateLanguages.call(loadContext({ templateName: 'order_update' }));
    expect(languages.map((l) => l.value)).toEqual(['en']);
  });

  test('resource mapper: one field per variable, positional and named', async () => {
    const positional = await getTemplateParameters.call(loadContext({ templateName: 'order_update', languageCode: 'en' }));
    expect(positional.fields.map((f) => [f.id, f.required])).toEqual([
      ['body-1', true],
      ['body-2', true],
    ]);
    expect(positional.fields[0]!.displayName).toContain('e.g. Ana');
    const named = await getTemplateParameters.call(loadContext({ templateName: 'order_confirmation', languageCode: 'en_US' }));
    expect(named.fields.map((f) => f.id)).toEqual(['body-first_name', 'body-order_number']);
    expect(await getTemplateParameters.call(loadContext({}))).toEqual({ fields: [] });
  });
});
