import { WhatsAppError, type ErrorCategory } from './whatsapp-error';

/**
 * Meta's Graph API answered with an error. Thrown by every call that reaches Meta; `graphCode` is
 * Meta's numeric code, and `category`, `retryable` and `hint` come from the one error table.
 * Fix: read `hint`; `details` is Meta's own explanation of which field or rule failed.
 */
export class GraphApiError extends WhatsAppError {
  readonly status: number;
  readonly graphCode: number | undefined;
  readonly subcode: number | undefined;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly isTransient: boolean;
  /** The response body exactly as Meta sent it (it never contains our token). */
  readonly body: string;

  constructor(
    message: string,
    fields: {
      code: string;
      category: ErrorCategory;
      retryable: boolean;
      hint: string;
      status: number;
      graphCode?: number;
      subcode?: number;
      details?: string;
      fbtraceId?: string;
      isTransient?: boolean;
      body: string;
    },
  ) {
    super(message, fields);
    this.name = 'GraphApiError';
    this.status = fields.status;
    this.graphCode = fields.graphCode;
    this.subcode = fields.subcode;
    this.details = fields.details;
    this.fbtraceId = fields.fbtraceId;
    this.isTransient = fields.isTransient ?? false;
    this.body = fields.body;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      graphCode: this.graphCode,
      subcode: this.subcode,
      details: this.details,
      fbtraceId: this.fbtraceId,
    };
  }
}

/**
 * The input broke a rule of the Cloud API (a length, a count, a format). Thrown before anything
 * is sent. `field` is the path in the message (e.g. `interactive.action.buttons[1].reply.title`).
 * Fix: change that field as the message says; nothing is ever truncated for you.
 */
export class ValidationError extends WhatsAppError {
  readonly field: string;

  constructor(field: string, problem: string, hint?: string) {
    super(field ? `${field}: ${problem}` : problem, {
      code: 'validation_failed',
      category: 'validation',
      retryable: false,
      hint: hint ?? `Change "${field || 'the message'}" so it meets the limit, then send again.`,
    });
    this.name = 'ValidationError';
    this.field = field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), field: this.field };
  }
}

/**
 * A free-form (non-template) message to a user whose 24-hour customer-service window is not known
 * to be open. Thrown before any request under the `enforce` window policy.
 * Fix: send an approved template, or wait until the user writes to you.
 */
export class WindowClosedError extends WhatsAppError {
  readonly recipient: string;
  readonly expiredAt: Date | undefined;

  constructor(recipient: string, expiredAt?: Date) {
    const since = expiredAt ? ` (it closed at ${expiredAt.toISOString()})` : ' (no message from them in the last 24 hours)';
    super(`The 24-hour window with ${recipient} is closed${since}`, {
      code: 'window_closed',
      category: 'window',
      retryable: false,
      hint: 'Send an approved template instead (templates are the only messages allowed outside the 24-hour window), or set a fallback template on the node.',
    });
    this.name = 'WindowClosedError';
    this.recipient = recipient;
    this.expiredAt = expiredAt;
  }
}

/**
 * The HTTP exchange with Meta failed without an answer. `requestSent` tells whether Meta may have
 * received the message: when false (connection refused, DNS, connect timeout) a retry is safe;
 * when true (connection dropped or timed out after the request was written) the message may have
 * been accepted and code is `delivery_unknown`.
 */
export class NetworkError extends WhatsAppError {
  readonly requestSent: boolean;

  constructor(message: string, requestSent: boolean, cause?: unknown, hint?: string) {
    super(message, {
      code: requestSent ? 'delivery_unknown' : 'connection_failed',
      category: 'network',
      retryable: !requestSent,
      hint: hint ?? (requestSent
        ? 'The connection broke after the message was sent, so Meta may have accepted it: check the status webhook for this message before sending it again.'
        : 'Could not reach the WhatsApp API: check the server\'s internet connection and the base URL; it is safe to retry.'),
      cause,
    });
    this.name = 'NetworkError';
    this.requestSent = requestSent;
  }
}

/**
 * A webhook verification request (GET with hub.* parameters) was not valid: wrong mode or a verify
 * token that does not match. Adapters answer it with `status` (403).
 * Fix: use the same verify token in Meta's App Dashboard and in the node.
 */
export class WebhookVerificationError extends WhatsAppError {
  readonly status = 403;

  constructor(reason: string) {
    super(`Webhook verification refused: ${reason}`, {
      code: 'webhook_verification_failed',
      category: 'auth',
      hint: 'Make the verify token in Meta\'s App Dashboard (Webhooks) the same as the one in the node\'s credentials.',
    });
    this.name = 'WebhookVerificationError';
  }
}

/**
 * A webhook POST failed its signature check. Adapters answer 401 and start nothing.
 * Fix: the node's app secret must be the one of the Meta app that sends the webhooks.
 */
export class WebhookSignatureError extends WhatsAppError {
  readonly status = 401;

  constructor() {
    super('Webhook signature (X-Hub-Signature-256) is missing or does not match the body', {
      code: 'webhook_signature_invalid',
      category: 'auth',
      hint: 'Check that the app secret in the credentials is the App Secret of the Meta app that sends these webhooks (App Dashboard → App settings → Basic).',
    });
    this.name = 'WebhookSignatureError';
  }
}

/**
 * A webhook POST body is not a WhatsApp Business Account envelope (not JSON, or no `entry` list).
 * Adapters answer 400.
 */
export class WebhookPayloadError extends WhatsAppError {
  readonly status = 400;

  constructor(problem: string) {
    super(`Webhook body is not a WhatsApp webhook: ${problem}`, {
      code: 'webhook_payload_invalid',
      category: 'invalid_request',
      hint: 'Only point Meta\'s WhatsApp webhooks at this URL; other senders are refused.',
    });
    this.name = 'WebhookPayloadError';
  }
}
