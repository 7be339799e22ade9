import { ValidationError } from '../errors/error-classes';
import { DEFAULT_BASE_URL } from '../version';

/**
 * Where the access token may travel. The token goes in an `Authorization` header on every call,
 * so the base URL decides who receives it: Meta's Graph host over TLS, or a loopback address (the
 * sandbox, a local proxy). Anything else over plain `http://` would put the token on the wire in
 * clear, so it is refused before any request.
 */

/** Longest base URL accepted: far above any real one, low enough that checking it costs nothing. */
export const MAX_BASE_URL_LENGTH = 2048;

/**
 * `value` without its trailing slashes, in linear time. (`/\/+$/` is quadratic: the regex engine
 * retries from every slash of a long run that is followed by something else, and 100 kB of
 * slashes held the event loop for seconds.)
 */
export function trimTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x2f) end--;
  return end === value.length ? value : value.slice(0, end);
}

/** `localhost`, `127.0.0.0/8` and `::1`: names and addresses that never leave the machine. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** True for Meta's own Graph API origin (`https://graph.facebook.com`, any path). */
export function isGraphOrigin(url: string): boolean {
  try {
    return new URL(url).origin === new URL(DEFAULT_BASE_URL).origin;
  } catch {
    return false;
  }
}

/**
 * Checks and normalises a base URL (no trailing slash): an absolute `https://` URL, or `http://` to
 * a loopback host; no user name or password in it; at most {@link MAX_BASE_URL_LENGTH} characters.
 * Throws a {@link ValidationError} naming `field` otherwise.
 */
export function normalizeBaseUrl(value: string, field = 'baseUrl'): string {
  if (value.length > MAX_BASE_URL_LENGTH) {
    throw new ValidationError(field, `${value.length} characters, the limit is ${MAX_BASE_URL_LENGTH}`, `Use the Graph API host (${DEFAULT_BASE_URL}) or the URL the sandbox prints.`);
  }
  const trimmed = trimTrailingSlashes(value.trim());
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new ValidationError(field, 'is not an absolute URL', `Use the Graph API host (${DEFAULT_BASE_URL}) or the URL the sandbox prints.`);
  }
  if (parsed.username || parsed.password) {
    throw new ValidationError(field, 'must not contain a user name or password', 'Remove the user:password@ part: the access token is the only credential sent.');
  }
  if (parsed.protocol === 'https:') return trimmed;
  if (parsed.protocol === 'http:' && isLoopbackHostname(parsed.hostname)) return trimmed;
  throw new ValidationError(
    field,
    parsed.protocol === 'http:' ? `http:// is only allowed to a loopback host (got ${parsed.hostname})` : `protocol ${parsed.protocol} is not allowed`,
    'Use https:// (the access token travels in every request), or http://127.0.0.1 for the local sandbox.',
  );
}

/** True when two base URLs name the same place (after normalising; invalid ones never match). */
export function sameBaseUrl(a: string | undefined, b: string | undefined): boolean {
  const norm = (v: string | undefined) => {
    try {
      return new URL(trimTrailingSlashes((v || DEFAULT_BASE_URL).trim())).href;
    } catch {
      return undefined;
    }
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}
