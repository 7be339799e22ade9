/**
 * Bearer-token check. Graph answers a missing or wrong token with code 190 / HTTP 401 (api-facts §6).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GraphError } from './errors';

/** Constant-time string comparison (the sandbox may be used to test timing-sensitive clients too). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Extracts the bearer token (header, or `access_token` query parameter which Graph also accepts). */
export function tokenOf(req: IncomingMessage, query: Record<string, string>): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    return m ? m[1].trim() : undefined;
  }
  return query.access_token;
}

/** Throws Graph's 190 unless the request carries `expected`. */
export function requireToken(req: IncomingMessage, query: Record<string, string>, expected: string): void {
  const token = tokenOf(req, query);
  if (token === undefined) {
    throw new GraphError(190, undefined, {
      message: 'An active access token must be used to query information about the current user.',
    });
  }
  if (!safeEqual(token, expected)) throw new GraphError(190);
}
