import { isWhatsAppError, QualityGuardError } from './core';
import { QUALITY_SWITCHES } from './quality';

/**
 * The error handed to `done(err)`. Node-RED copies `message`, `code`, `stack` and `cause` of it into
 * the Catch node's `msg.error`, so the safe view of the core error (code, category, retryable, hint,
 * Meta's code and details) goes in `cause`: a Catch node can route on `msg.error.cause.category`.
 */
export interface NodeRedError extends Error {
  code: string;
  cause: Record<string, unknown>;
}

/** Translates any thrown value into the error a Node-RED node reports. Never carries a secret. */
export function toNodeRedError(error: unknown): NodeRedError {
  if (isWhatsAppError(error)) {
    // A quality refusal's hint names the config node's field (core names its own option path,
    // which a Node-RED user cannot set).
    const hint = QualityGuardError.hintOf(error, QUALITY_SWITCHES);
    const info = { ...error.toJSON(), hint };
    const out = new Error(`${error.message}. ${hint}`) as NodeRedError;
    out.name = error.name;
    out.code = error.code;
    out.cause = info;
    return out;
  }
  const message = error instanceof Error ? error.message : String(error);
  const out = new Error(message) as NodeRedError;
  out.code = (error as { code?: unknown })?.code ? String((error as { code: unknown }).code) : 'unexpected_error';
  out.cause = { name: error instanceof Error ? error.name : 'Error', message, code: out.code, category: 'unknown', retryable: false, hint: 'Unexpected error: see the Node-RED log.' };
  return out;
}

/** The safe JSON view for HTTP answers of the admin endpoints. */
export function errorBody(error: unknown): { error: Record<string, unknown> } {
  return { error: toNodeRedError(error).cause };
}

/** Short status-ring text for an error: its stable code (never the message, which may quote input). */
export function statusText(error: unknown): string {
  const code = isWhatsAppError(error) ? error.code : toNodeRedError(error).code;
  return code.length > 32 ? code.slice(0, 31) + '…' : code;
}
