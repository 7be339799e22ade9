import { arr, bool, compact, errorList, num, obj, str, unixDate, unsafeNesting, type Json } from './fields';
import type {
  InboundCallPermissionReply,
  InboundContext,
  InboundFlowReply,
  InboundMedia,
  InboundMessageEvent,
  InboundOrder,
  InboundReferral,
  InboundReply,
  InboundSystem,
} from './types';

const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'document', 'sticker']);

/** Where a message sits: the change's metadata and contacts. */
export interface MessageScope {
  wabaId: string;
  field: string;
  phoneNumberId: string;
  displayPhoneNumber?: string;
  contacts: Json[];
}

/** The `contacts[]` entry of the sender: by wa_id, then by BSUID, then the only one. */
function senderContact(scope: MessageScope, from: string, fromUserId: string | undefined): Json | undefined {
  const byId = scope.contacts.find(
    (c) => (from !== '' && str(c.wa_id) === from) || (fromUserId !== undefined && str(c.user_id) === fromUserId),
  );
  return byId ?? (scope.contacts.length === 1 ? scope.contacts[0] : undefined);
}

function media(payload: Json | undefined): InboundMedia | undefined {
  if (!payload) return undefined;
  return compact({
    id: str(payload.id) ?? '',
    mimeType: str(payload.mime_type) ?? '',
    sha256: str(payload.sha256),
    caption: str(payload.caption),
    filename: str(payload.filename),
    url: str(payload.url),
    voice: bool(payload.voice),
    animated: bool(payload.animated),
  });
}

function flowReply(nfm: Json): InboundFlowReply {
  const text = str(nfm.response_json);
  let response: unknown = text;
  if (text !== undefined) {
    try {
      const parsed: unknown = JSON.parse(text);
      // Too deep to hand on safely (see MAX_WEBHOOK_DEPTH): kept as the string, like invalid JSON.
      if (!unsafeNesting(parsed, true)) response = parsed;
    } catch {
      // kept as the string Meta sent
    }
  }
  return compact({ name: str(nfm.name), body: str(nfm.body), response, flowToken: str(obj(response)?.flow_token) });
}

function callPermissionReply(payload: Json): InboundCallPermissionReply {
  return compact({
    response: str(payload.response) ?? '',
    isPermanent: bool(payload.is_permanent),
    expiresAt: unixDate(payload.expiration_timestamp),
    source: str(payload.response_source),
  });
}

/** Button/list/quick-reply answers share one shape; Flow completions and call permission answers get their own. */
function replies(message: Json, type: string): { reply?: InboundReply; flowReply?: InboundFlowReply; callPermissionReply?: InboundCallPermissionReply } {
  if (type === 'button') {
    const button = obj(message.button);
    if (!button) return {};
    const text = str(button.text) ?? '';
    return { reply: { id: str(button.payload) ?? text, title: text } };
  }
  const interactive = obj(message.interactive);
  if (type !== 'interactive' || !interactive) return {};
  const answer = obj(interactive.button_reply) ?? obj(interactive.list_reply);
  if (answer) return { reply: compact({ id: str(answer.id) ?? '', title: str(answer.title) ?? '', description: str(answer.description) }) };
  const nfm = obj(interactive.nfm_reply);
  if (nfm) return { flowReply: flowReply(nfm) };
  const permission = obj(interactive.call_permission_reply);
  return permission ? { callPermissionReply: callPermissionReply(permission) } : {};
}

function order(payload: Json | undefined): InboundOrder | undefined {
  if (!payload) return undefined;
  const items = (arr(payload.product_items) ?? []).map((item) => {
    const product = obj(item) ?? {};
    return {
      productRetailerId: str(product.product_retailer_id) ?? '',
      quantity: num(product.quantity) ?? 0,
      itemPrice: num(product.item_price) ?? 0,
      currency: str(product.currency) ?? '',
    };
  });
  return compact({ catalogId: str(payload.catalog_id) ?? '', text: str(payload.text), items });
}

function referral(payload: Json | undefined): InboundReferral | undefined {
  if (!payload) return undefined;
  return compact({
    sourceUrl: str(payload.source_url),
    sourceId: str(payload.source_id),
    sourceType: str(payload.source_type),
    headline: str(payload.headline),
    body: str(payload.body),
    mediaType: str(payload.media_type),
    imageUrl: str(payload.image_url),
    videoUrl: str(payload.video_url),
    thumbnailUrl: str(payload.thumbnail_url),
    ctwaClid: str(payload.ctwa_clid),
    welcomeMessage: str(obj(payload.welcome_message)?.text),
  });
}

function context(payload: Json | undefined): InboundContext | undefined {
  if (!payload) return undefined;
  const product = obj(payload.referred_product);
  return compact({
    messageId: str(payload.id),
    from: str(payload.from),
    forwarded: bool(payload.forwarded),
    frequentlyForwarded: bool(payload.frequently_forwarded),
    referredProduct: product
      ? { catalogId: str(product.catalog_id) ?? '', productRetailerId: str(product.product_retailer_id) ?? '' }
      : undefined,
  });
}

function system(payload: Json | undefined): InboundSystem | undefined {
  if (!payload) return undefined;
  return compact({
    type: str(payload.type) ?? '',
    body: str(payload.body),
    newWaId: str(payload.wa_id) ?? str(payload.new_wa_id),
    newUserId: str(payload.user_id) ?? str(payload.new_user_id),
  });
}

/** One `value.messages[]` item as a typed event. Unknown types keep their type and `raw`. */
export function parseMessage(message: Json, scope: MessageScope): InboundMessageEvent {
  const type = str(message.type) ?? 'unknown';
  const from = str(message.from) ?? '';
  const fromUserId = str(message.from_user_id);
  const contact = senderContact(scope, from, fromUserId);
  const profile = obj(contact?.profile);
  const reaction = obj(message.reaction);
  const location = obj(message.location);
  const errors = arr(message.errors) ? errorList(message.errors) : undefined;
  return compact({
    kind: 'message',
    field: scope.field,
    wabaId: scope.wabaId,
    phoneNumberId: scope.phoneNumberId,
    displayPhoneNumber: scope.displayPhoneNumber,
    raw: message,
    messageId: str(message.id) ?? '',
    from,
    userId: fromUserId ?? str(contact?.user_id),
    contactName: str(profile?.name),
    username: str(profile?.username),
    // Meta always sends a timestamp; without one, the message is arriving now.
    timestamp: unixDate(message.timestamp) ?? new Date(),
    type,
    text: str(obj(message.text)?.body),
    ...replies(message, type),
    media: MEDIA_TYPES.has(type) ? media(obj(message[type])) : undefined,
    location:
      location && num(location.latitude) !== undefined && num(location.longitude) !== undefined
        ? compact({
            latitude: num(location.latitude)!,
            longitude: num(location.longitude)!,
            name: str(location.name),
            address: str(location.address),
            url: str(location.url),
          })
        : undefined,
    contacts: type === 'contacts' ? arr(message.contacts) : undefined,
    reaction: reaction ? { messageId: str(reaction.message_id) ?? '', emoji: str(reaction.emoji) ?? '' } : undefined,
    order: order(obj(message.order)),
    referral: referral(obj(message.referral)),
    context: context(obj(message.context)),
    system: system(obj(message.system)),
    groupId: str(message.group_id),
    errors,
  } satisfies InboundMessageEvent);
}
