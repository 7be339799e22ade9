import { WhatsAppError } from '../errors/whatsapp-error';

/**
 * A Flow endpoint request that must be refused, with the HTTP status Meta's endpoint contract
 * gives it: 421 (cannot decrypt: WhatsApp refetches the public key and retries), 432 (bad
 * `X-Hub-Signature-256`), 400 (not a Flow request), 500 (our own configuration: no or unreadable
 * private key). Fix: read `hint`; for 421 and 500 it is the private key or its passphrase.
 */
export class FlowEndpointError extends WhatsAppError {
  readonly status: number;

  constructor(message: string, options: { code: string; status: number; hint: string; cause?: unknown }) {
    super(message, {
      code: options.code,
      category: options.status === 500 ? 'validation' : 'invalid_request',
      retryable: false,
      hint: options.hint,
      cause: options.cause,
    });
    this.name = 'FlowEndpointError';
    this.status = options.status;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}
