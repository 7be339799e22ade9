import { createHash } from 'node:crypto';
import { FailedMessageResender, isWhatsAppError, type SharedState, type WhatsAppClient } from '@wa-cloud/core';
import type { Logger } from 'n8n-workflow';
import { createClient, type WhatsAppCloudCredentials } from '../WhatsAppCloud/transport';

/**
 * The trigger's "Re-Send Failed (Retryable) Messages": one core resender per state store and
 * phone number in this process (the webhook calls come and go; the timer that sends due re-sends
 * must outlive them). It is (re)built when the credentials or the retention change, and stopped
 * when the trigger is deactivated. The logic is core's (FailedMessageResender).
 */
interface Running {
  resender: FailedMessageResender;
  client: WhatsAppClient;
  fingerprint: string;
}

const running = new WeakMap<SharedState, Map<string, Running>>();

function fingerprintOf(credentials: WhatsAppCloudCredentials, retentionMs: number): string {
  // A hash, so the token itself is never kept outside the client that needs it.
  return createHash('sha256').update(JSON.stringify([credentials.accessToken, credentials.baseUrl, credentials.apiVersion, credentials.wabaId, retentionMs])).digest('hex');
}

/** The running resender of the credential's number (started on first use), built with the trigger's ledger retention. */
export function resenderFor(shared: SharedState, credentials: WhatsAppCloudCredentials, retentionMs: number, logger: Logger): FailedMessageResender {
  let byNumber = running.get(shared);
  if (!byNumber) running.set(shared, (byNumber = new Map()));
  const fingerprint = fingerprintOf(credentials, retentionMs);
  const current = byNumber.get(credentials.phoneNumberId);
  if (current && current.fingerprint === fingerprint) return current.resender;
  if (current) void stop(current);
  // The re-send goes through a client like the send node's: limiter, window (enforce), quality guard, ledger.
  const client = createClient(credentials, { ledgerRetentionMs: retentionMs }, shared);
  const resender = new FailedMessageResender({
    ledger: shared.ledger.withRetention(retentionMs),
    client,
    onResend: ({ job, messageId, error }) => {
      if (messageId) logger.info(`WhatsApp Cloud Trigger: re-sent message ${job.failedId} (failed with ${job.code}) as ${messageId} (re-send ${job.resend})`);
      else logger.warn(`WhatsApp Cloud Trigger: message ${job.failedId} (failed with ${job.code}) was not re-sent: ${isWhatsAppError(error) ? error.message : String(error)}`);
    },
  });
  resender.start();
  byNumber.set(credentials.phoneNumberId, { resender, client, fingerprint });
  return resender;
}

/** Stops the number's resender (trigger deactivated, or the option switched off); waiting re-sends stay in the store. */
export async function stopResender(shared: SharedState, phoneNumberId: string): Promise<void> {
  const current = running.get(shared)?.get(phoneNumberId);
  if (!current) return;
  running.get(shared)!.delete(phoneNumberId);
  await stop(current);
}

async function stop(current: Running): Promise<void> {
  await current.resender.stop();
  await current.client.close();
}
