/**
 * The categories every error falls into. Adapters show them to users and route on them
 * (a Catch node or an n8n error branch can switch on `category`).
 */
export type ErrorCategory =
  | 'auth'
  | 'rate_limit'
  | 'window'
  | 'recipient'
  | 'template'
  | 'media'
  | 'invalid_request'
  | 'policy'
  | 'transient'
  | 'network'
  | 'validation'
  | 'unknown';

/** Marks our errors so they are recognised even when core is loaded twice (bundled + installed). */
const BRAND = Symbol.for('@wa-cloud/core/WhatsAppError');

export interface WhatsAppErrorOptions {
  code: string;
  category: ErrorCategory;
  retryable?: boolean;
  hint: string;
  cause?: unknown;
}

/**
 * Base of every error this library throws. `code` is stable (e.g. `window_closed`,
 * `graph_131047`), `hint` says in one sentence what the user should do, and `toJSON()` is safe to
 * show or log: it never carries an access token or secret.
 */
export class WhatsAppError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly hint: string;

  constructor(message: string, options: WhatsAppErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WhatsAppError';
    this.code = options.code;
    this.category = options.category;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain, secret-free view for logs and node outputs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      category: this.category,
      retryable: this.retryable,
      hint: this.hint,
    };
  }
}

/** True for any error from this library, whichever copy of it created the error. */
export function isWhatsAppError(value: unknown): value is WhatsAppError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
