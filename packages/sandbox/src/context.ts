/**
 * What a Graph route handler receives, and the marker it returns when it wrote (or destroyed) the
 * response itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from './engine';
import type { Json, JsonObject, RequestRecord } from './types';

/** Returned by a handler that already answered (or reset the socket). */
export const HANDLED = Symbol('handled');

/** A Graph request being handled. */
export interface Ctx {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** `v23.0` etc.; undefined for unversioned calls (Graph then uses the app's default version). */
  version: string | undefined;
  /** Path segments after the version. */
  segs: string[];
  query: Record<string, string>;
  body: Json | undefined;
  raw: Buffer;
  rec: RequestRecord;
}

/** What a handler returns: the 200 body, or {@link HANDLED}. */
export type RouteResult = Json | typeof HANDLED;

/** Query and body parameters merged (Graph accepts both for POST/DELETE; the body wins). */
export function params(ctx: Ctx): JsonObject {
  const out: JsonObject = { ...ctx.query };
  const b = ctx.body;
  if (typeof b === 'object' && b !== null && !Array.isArray(b)) Object.assign(out, b);
  return out;
}

/** Requested `fields`, or undefined when the caller asked for the defaults. */
export function fieldsOf(ctx: Ctx): string[] | undefined {
  const f = ctx.query.fields;
  if (!f) return undefined;
  // Graph allows nested selections like `throughput{level}`; the sandbox returns the whole sub-object.
  return f.replace(/\{[^}]*\}/g, '').split(',').map((x) => x.trim()).filter(Boolean);
}
