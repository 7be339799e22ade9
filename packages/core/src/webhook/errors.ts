import { WhatsAppError } from '../errors/whatsapp-error';

/** Meta documents webhook POST bodies of at most 3 MB; anything larger is not Meta. */
export const MAX_WEBHOOK_BYTES = 3 * 1024 * 1024;

/**
 * A webhook POST body is larger than {@link MAX_WEBHOOK_BYTES}. Thrown before the signature is
 * computed, so an oversized body costs no hashing. Adapters answer `status` (413).
 * Fix: nothing on Meta's side sends this; check what else is posting to the webhook URL.
 */
export class WebhookTooLargeError extends WhatsAppError {
  readonly status = 413;
  readonly size: number;

  constructor(size: number) {
    super(`Webhook body is ${size} bytes, the limit is ${MAX_WEBHOOK_BYTES} bytes`, {
      code: 'webhook_payload_too_large',
      category: 'invalid_request',
      hint: 'Meta never sends webhook bodies over 3 MB: only point Meta\'s WhatsApp webhooks at this URL.',
    });
    this.name = 'WebhookTooLargeError';
    this.size = size;
  }
}
