/**
 * `POST /{phone}/messages`: validation, registration, template checks, fault injection, the two rate
 * limits, acceptance. The order mirrors what a client can observe at Meta: malformed requests fail
 * before they cost quota, and a rejected send consumes neither the throughput nor the pair token.
 */
import { GraphError } from './errors';
import { HANDLED, type Ctx, type RouteResult } from './context';
import type { JsonObject } from './types';
import { validateMessagesBody } from './validate';

/** Destroys the connection without an answer (reset faults). */
function reset(ctx: Ctx): typeof HANDLED {
  ctx.rec.status = 0;
  ctx.req.socket.destroy();
  return HANDLED;
}

/**
 * `POST /{phone}/marketing_messages` (Marketing Messages API): marketing templates only — another
 * message type is 100 "Message must be a template message.", another category 134100 (Meta's MM
 * API error codes); `product_policy` is CLOUD_API_FALLBACK or STRICT. Then the same pipeline as
 * `/messages`.
 */
export async function postMarketingMessages(ctx: Ctx): Promise<RouteResult> {
  const body = (ctx.body ?? {}) as JsonObject;
  if (body.type !== 'template') throw new GraphError(100, 'Message must be a template message.');
  if (body.product_policy !== undefined && body.product_policy !== 'CLOUD_API_FALLBACK' && body.product_policy !== 'STRICT') {
    throw new GraphError(100, 'Param product_policy must be one of {CLOUD_API_FALLBACK, STRICT}');
  }
  if (body.message_activity_sharing !== undefined && typeof body.message_activity_sharing !== 'boolean') {
    throw new GraphError(100, 'Param message_activity_sharing must be a boolean');
  }
  return postMessages(ctx, { marketingOnly: true });
}

/** Handles a send or a mark-as-read. */
export async function postMessages(ctx: Ctx, options: { marketingOnly?: boolean } = {}): Promise<RouteResult> {
  const e = ctx.engine;
  const v = validateMessagesBody(ctx.body);
  if (!e.account.registered) {
    throw new GraphError(133010, 'The phone number is not registered on Cloud API. Register it with POST /{phone-number-id}/register.');
  }
  if (v.kind === 'read') {
    e.markRead(v.messageId, v.typing);
    return { success: true };
  }
  if (!v.bsuid && v.waId === e.o.displayPhoneNumber) throw new GraphError(131021, 'The recipient phone number is the sender phone number.');
  let category = 'service';
  if (v.type === 'template') {
    const t = v.body.template as JsonObject;
    const def = e.templates.resolveForSend(t.name as string, (t.language as JsonObject).code as string);
    e.templates.checkSendComponents(def, t.components);
    category = def.category;
    if (options.marketingOnly && category.toUpperCase() !== 'MARKETING') throw new GraphError(134100, "You're only able to send marketing messages on this API.");
    if (v.bsuid && category.toUpperCase() === 'AUTHENTICATION') {
      throw new GraphError(131062, "You can only send authentication messages to recipients' phone numbers, not their business-scoped user IDs.");
    }
  }
  // An injected synchronous failure (e.g. 131048 spam rate limit): refused before it costs quota.
  const injected = e.takeSendFailure(v.waId, category, true);
  if (injected) throw new GraphError(injected.code, injected.details);

  const fault = e.faults.decide();
  if (fault) {
    ctx.rec.fault = fault;
    e.o.log(`fault injected: ${fault}`);
  }
  if (fault === 'server_error') {
    throw new GraphError(2, 'Service temporarily unavailable. Please retry your request.', { extra: { is_transient: true } });
  }
  if (fault === 'reset_before') return reset(ctx);

  if (!e.throughput.canTake()) {
    throw new GraphError(130429, 'Cloud API message throughput has been reached.', { subcode: 2494055 });
  }
  const pair = e.pairs.get(v.waId);
  if (!pair.canTake()) {
    throw new GraphError(
      131056,
      'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
    );
  }
  e.throughput.take();
  pair.take();
  const rec = e.accept(v, ctx.version, fault);
  if (fault === 'reset_after') return reset(ctx);
  if (fault === 'slow') await e.sleep(e.faults.slowMs);

  const contact: JsonObject = { input: v.to, wa_id: v.bsuid ? '' : v.waId };
  if (v.bsuid) contact.user_id = v.to;
  const message: JsonObject = { id: rec.id };
  if (v.type === 'template') message.message_status = 'accepted';
  return { messaging_product: 'whatsapp', contacts: [contact], messages: [message] };
}
