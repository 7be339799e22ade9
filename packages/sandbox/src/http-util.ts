/**
 * Small HTTP helpers for the router: body reading with a cap, Graph-style parameter parsing, JSON replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json, JsonObject } from './types';

/** Largest body accepted: a 100 MB document plus multipart overhead. */
export const MAX_BODY_BYTES = 101 * 1024 * 1024;

/** Reads the whole request body; rejects with 'too_large' beyond {@link MAX_BODY_BYTES}. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too_large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Parses a Graph request body. Graph accepts JSON and form-encoded bodies; in the latter, nested values
 * are JSON strings (e.g. `components=[...]`), which are decoded here. Returns undefined for an empty body
 * and the raw text for unparseable JSON (validation then reports the missing fields, as Graph does).
 */
export function parseParams(buf: Buffer, contentType: string | undefined): Json | undefined {
  if (buf.length === 0) return undefined;
  const text = buf.toString('utf8');
  if (contentType && /application\/x-www-form-urlencoded/i.test(contentType)) {
    const out: JsonObject = {};
    for (const [k, v] of new URLSearchParams(text)) {
      out[k] = /^\s*[[{]/.test(v) ? tryJson(v) ?? v : v;
    }
    return out;
  }
  return tryJson(text) ?? text;
}

function tryJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Query string as a flat record (last value wins, like Graph). */
export function queryOf(url: URL): Record<string, string> {
  const q: Record<string, string> = {};
  for (const [k, v] of url.searchParams) q[k] = v;
  return q;
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
