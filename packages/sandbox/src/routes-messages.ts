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

/** Handles a send or a mark-as-read. */
export async function postMessages(ctx: Ctx): Promise<RouteResult> {
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
