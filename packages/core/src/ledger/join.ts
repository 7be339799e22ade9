import type { InboundEvent, InboundStatusEvent, StatusSendContext } from '../webhook/types';
import type { DeliveryLedger } from './ledger';
import type { JoinedStatus } from './types';

/** The send's context as a status event carries it. */
function sendContext(record: JoinedStatus): StatusSendContext | undefined {
  if (!record.sentAt) return undefined;
  const context: StatusSendContext = {};
  if (record.recipient !== undefined) context.recipient = record.recipient;
  if (record.type !== undefined) context.type = record.type;
  if (record.template) context.template = { ...record.template };
  if (record.reference !== undefined) context.reference = record.reference;
  context.sentAt = record.sentAt;
  if (record.attempts !== undefined) context.attempts = record.attempts;
  return context;
}

/**
 * Joins a webhook batch's statuses to their sends: each status is merged into the ledger (when
 * one is given) and the event gains `send` (template, reference, recipient, sent-at) and
 * `ledgerStatus`; a `failed` status gains `error` in the synchronous error's shape either way.
 * Runs on every parsed status, duplicates included: merges are idempotent, so a redelivery whose
 * first copy was acknowledged before its record was written still lands. The merges are durable
 * once `ledger.flush()` resolves (the caller flushes before answering 200: one commit with the
 * dedupe keys instead of one more per webhook).
 */
export async function joinStatuses(events: readonly InboundEvent[], ledger?: DeliveryLedger): Promise<void> {
  const statuses = events.filter((event): event is InboundStatusEvent => event.kind === 'status' && !!event.messageId);
  for (const event of statuses) {
    if (event.status === 'failed' && event.errors[0]) event.error = { name: 'GraphApiError', ...event.errors[0] };
  }
  if (!ledger) return;
  // Different messages merge in parallel; statuses of one message are atomic merges in every store.
  await Promise.all(
    statuses.map(async (event) => {
      const record = await ledger.joinStatus(event);
      const context = sendContext(record);
      if (context) event.send = context;
      event.ledgerStatus = record.status;
    }),
  );
}
