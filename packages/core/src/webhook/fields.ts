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

/** Meta's unix-seconds timestamps (strings on messages, numbers elsewhere) as a Date. */
export function unixDate(value: unknown): Date | undefined {
  const seconds = num(value);
  return seconds === undefined ? undefined : new Date(seconds * 1000);
}

/** Drops keys whose value is undefined, so events compare and serialize cleanly. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
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
