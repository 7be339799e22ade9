import { mapWebhookError } from '../errors/map-graph-error';
import type { InboundErrorInfo } from './types';

/** Loose readers for Meta's JSON: a wrong type reads as absent instead of throwing. */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function obj(value: unknown): Json | undefined {
  return isObject(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  // Template ids arrive as JSON numbers; keep them as strings like every other id.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function arr(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/**
 * Meta's unix-seconds timestamps (strings on messages, numbers elsewhere) as a Date. A value
 * outside the Date range (`"1e300"`) reads as absent: an Invalid Date would throw later, in
 * `toISOString()` or in a window store.
 */
export function unixDate(value: unknown): Date | undefined {
  const seconds = num(value);
  if (seconds === undefined) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Drops keys whose value is undefined, so events compare and serialize cleanly. Copies the defined
 * keys (in order) into a new object rather than `delete`-ing the others: a `delete` turns the
 * object into a slow dictionary-mode one, which every later read of the event pays for (webhook
 * ingest, bench measure 4).
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = field;
  }
  return out as T;
}

/** An async error item mapped with the same table as synchronous errors, as plain data. */
export function errorInfo(item: unknown): InboundErrorInfo {
  const source = obj(item) ?? {};
  const error = mapWebhookError(source);
  return compact({
    code: error.code,
    graphCode: error.graphCode,
    category: error.category,
    hint: error.hint,
    message: error.message,
    details: error.details,
    retryable: error.retryable,
    title: str(source.title),
    href: str(source.href),
  });
}

export function errorList(value: unknown): InboundErrorInfo[] {
  return (arr(value) ?? []).map(errorInfo);
}

/**
 * Deepest nesting accepted (objects and arrays). Meta's deepest shapes are about 12 levels
 * (entry → changes → value → messages → contacts → phones); the limit leaves room for new shapes
 * while keeping every later step safe: hashing for dedupe, error mapping and the adapters'
 * serialising all recurse, and a 10,000-level body would make them throw RangeError.
 */
export const MAX_WEBHOOK_DEPTH = 100;

/**
 * Why a value cannot be walked safely: nested deeper than {@link MAX_WEBHOOK_DEPTH}, or (for an
 * object passed in, never for parsed text) a cycle. Iterative: a recursive walk would overflow on
 * exactly the input it guards against.
 */
export function unsafeNesting(root: unknown, parsedFromText: boolean): string | undefined {
  // Parsed text is a tree; an object passed in may share or loop back to its own parts.
  const onPath = parsedFromText ? undefined : new Set<object>();
  const done = parsedFromText ? undefined : new Set<object>();
  const stack: Array<{ value: object; depth: number; leave: boolean }> = [];
  const push = (value: unknown, depth: number) => {
    if (typeof value === 'object' && value !== null) stack.push({ value, depth, leave: false });
  };
  push(root, 1);
  while (stack.length) {
    const frame = stack.pop()!;
    if (frame.leave) {
      onPath!.delete(frame.value);
      done!.add(frame.value);
      continue;
    }
    if (onPath?.has(frame.value)) return 'the body refers to itself (not JSON)';
    if (done?.has(frame.value)) continue;
    if (frame.depth > MAX_WEBHOOK_DEPTH) return `the body is nested deeper than ${MAX_WEBHOOK_DEPTH} levels`;
    if (onPath) {
      onPath.add(frame.value);
      stack.push({ ...frame, leave: true });
    }
    for (const child of Array.isArray(frame.value) ? frame.value : Object.values(frame.value)) push(child, frame.depth + 1);
  }
  return undefined;
}
