/**
 * Graph error bodies, written from api-facts.md §6 and Meta's samples (not from @wa-cloud/core, so the
 * sandbox is an independent oracle for the code under test).
 */
import type { JsonObject, WebhookError } from './types';

/** Title (the part after `(#code)`) and HTTP status Meta uses for each code the sandbox emits. */
export const ERROR_CATALOG: Record<number, { title: string; http: number }> = {
  2: { title: 'Service temporarily unavailable', http: 503 },
  10: { title: 'Permission denied', http: 403 },
  100: { title: 'Invalid parameter', http: 400 },
  190: { title: 'Invalid OAuth access token - Cannot parse access token', http: 401 },
  2200: { title: 'Callback verification failed', http: 400 },
  2500: { title: 'Unknown path components', http: 400 },
  130429: { title: 'Rate limit hit', http: 400 },
  131008: { title: 'Required parameter is missing', http: 400 },
  131009: { title: 'Parameter value is not valid', http: 400 },
  131021: { title: 'Recipient cannot be sender', http: 400 },
  131026: { title: 'Message undeliverable', http: 400 },
  131047: { title: 'Re-engagement message', http: 400 },
  131048: { title: 'Spam rate limit hit', http: 400 },
  131049: { title: 'This message was not delivered to maintain healthy ecosystem engagement.', http: 400 },
  131050: { title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.', http: 400 },
  131051: { title: 'Unsupported message type', http: 400 },
  131053: { title: 'Media upload error', http: 400 },
  131056: { title: '(Business Account, Consumer Account) pair rate limit hit', http: 400 },
  131059: { title: 'Invalid pagination cursor', http: 400 },
  131062: { title: 'Business-scoped user ID recipients are not supported for authentication templates', http: 400 },
  132000: { title: 'Number of parameters does not match the expected number of params', http: 400 },
  132001: { title: 'Template name does not exist in the translation', http: 404 },
  132012: { title: 'Parameter format does not match format in the created template', http: 400 },
  132015: { title: 'Template is Paused', http: 400 },
  132016: { title: 'Template is disabled', http: 400 },
  134100: { title: 'Only marketing messages supported', http: 400 },
  133005: { title: 'Two step verification PIN Mismatch', http: 400 },
  133010: { title: 'Account not registered', http: 400 },
  133016: { title: 'Account register deregister rate limit exceeded', http: 400 },
  139001: { title: 'Error while publishing Flow', http: 400 },
  139100: { title: 'Failed to block/unblock users', http: 400 },
};

/** Codes that belong to Graph itself (auth, unknown objects): Meta sends them without WhatsApp `error_data`. */
const GRAPH_LEVEL = new Set([190, 2500]);

/** A Graph error the router turns into Meta's error body. */
export class GraphError extends Error {
  readonly code: number;
  readonly http: number;
  readonly details?: string;
  readonly subcode?: number;
  readonly type: string;
  readonly title: string;
  /** Extra top-level fields inside `error` (e.g. `is_transient`). */
  readonly extra: JsonObject;

  constructor(
    code: number,
    details?: string,
    opts: { http?: number; subcode?: number; message?: string; type?: string; extra?: JsonObject } = {},
  ) {
    const entry = ERROR_CATALOG[code] ?? { title: 'Unknown error', http: 400 };
    super(opts.message ?? `(#${code}) ${entry.title}`);
    this.code = code;
    this.title = entry.title;
    this.http = opts.http ?? entry.http;
    this.details = details;
    this.subcode = opts.subcode;
    this.type = opts.type ?? 'OAuthException';
    this.extra = opts.extra ?? {};
  }

  /** Meta's error body. `fbtraceId` comes from the caller so IDs stay deterministic per seed. */
  toBody(fbtraceId: string): JsonObject {
    const error: JsonObject = { message: this.message, type: this.type, code: this.code };
    if (this.subcode !== undefined) error.error_subcode = this.subcode;
    if (this.details !== undefined && !GRAPH_LEVEL.has(this.code)) {
      error.error_data = { messaging_product: 'whatsapp', details: this.details };
    }
    Object.assign(error, this.extra);
    error.fbtrace_id = fbtraceId;
    return { error };
  }
}

/** `(#100) Invalid parameter` naming the offending field in `details`. */
export function invalidParam(details: string): GraphError {
  return new GraphError(100, details);
}

/** `(#100) The parameter X is required.` — Graph's wording for a missing required field. */
export function missingParam(name: string): GraphError {
  return new GraphError(100, `The parameter ${name} is required.`, { message: `(#100) The parameter ${name} is required.` });
}

/** Graph's answer for an ID that does not exist (code 100, subcode 33). */
export function unknownObject(method: string, id: string): GraphError {
  return new GraphError(100, undefined, {
    subcode: 33,
    type: 'GraphMethodException',
    message:
      `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing ` +
      'permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api',
  });
}

/** An error object as carried in `statuses[].errors[]` (no `type`/`fbtrace_id`, title repeated as message). */
export function webhookError(code: number, details: string): WebhookError {
  const title = ERROR_CATALOG[code]?.title ?? 'Unknown error';
  return {
    code,
    title,
    message: title,
    error_data: { details },
    href: '/documentation/business-messaging/whatsapp/support/error-codes',
  };
}
