import { isGraphOrigin, normalizeBaseUrl, type ValidationError } from '@wa-cloud/core';

/**
 * n8n's credential test endpoint fills the SAVED secrets into a request whose other fields the
 * caller may have changed (`/rest/credentials/test` with the blank placeholder for the token and a
 * new Base URL). The test cannot tell a saved base URL from a typed one, so it sends the token only
 * to Meta's Graph host, or to an origin the n8n operator listed in this environment variable
 * (comma-separated, e.g. the sandbox's `http://127.0.0.1:8787`). Workflows and load-options read
 * the saved credential and always use its saved base URL.
 */
export const TEST_BASE_URLS_ENV = 'WHATSAPP_CLOUD_TEST_BASE_URLS';

/** The origins listed by the operator (invalid entries are ignored). */
export function allowedTestOrigins(value = process.env[TEST_BASE_URLS_ENV]): string[] {
  const out: string[] = [];
  for (const entry of (value ?? '').split(',')) {
    try {
      if (entry.trim()) out.push(new URL(entry.trim()).origin);
    } catch {
      // not a URL: allows nothing
    }
  }
  return out;
}

/**
 * Why the credential test may not send the token to `baseUrl`, or undefined when it may: Meta's
 * Graph host, or an origin on the operator's list. An unusable URL (plain http to a remote host,
 * a user:password in it, too long) is refused with core's message naming the field.
 */
export function testTargetRefusal(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  let normalized: string;
  try {
    normalized = normalizeBaseUrl(baseUrl, 'Base URL');
  } catch (error) {
    return `${(error as ValidationError).message}. ${(error as ValidationError).hint}`;
  }
  if (isGraphOrigin(normalized)) return undefined;
  if (allowedTestOrigins().includes(new URL(normalized).origin)) return undefined;
  return (
    `Base URL ${new URL(normalized).origin} is not Meta's Graph host: the credential test sends the token only to https://graph.facebook.com ` +
    `or to an origin listed in the ${TEST_BASE_URLS_ENV} environment variable of n8n (a test request can change the base URL while n8n fills in the saved token). ` +
    'Workflows use the saved base URL either way.'
  );
}

/**
 * The same hole for the shared store credential: a test request can change Host/Port while n8n
 * fills in the saved Redis password, and the credential test cannot tell a saved host from a
 * typed one. So the password (and ACL user) are sent only to a `host:port` the operator listed
 * in this variable (comma-separated, e.g. `redis.internal:6379,127.0.0.1:6380`). Workflows read
 * the saved credential and always connect to its saved host.
 */
export const TEST_REDIS_HOSTS_ENV = 'WHATSAPP_CLOUD_TEST_REDIS_HOSTS';

/** `host:port` in a comparable form (host lower-cased, IPv6 brackets dropped). */
function redisTarget(host: string, port: number): string {
  return `${host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')}:${port}`;
}

/** The `host:port` entries listed by the operator (entries without a valid port are ignored). */
export function allowedTestRedisHosts(value = process.env[TEST_REDIS_HOSTS_ENV]): string[] {
  const out: string[] = [];
  for (const entry of (value ?? '').split(',')) {
    const match = /^\s*(.+):(\d{1,5})\s*$/.exec(entry);
    if (match && Number(match[2]) > 0 && Number(match[2]) < 65536) out.push(redisTarget(match[1]!, Number(match[2])));
  }
  return out;
}

/**
 * Why the Redis credential test may not connect to `host:port` with the password, or undefined
 * when it may: no password and no user to leak, or a target on the operator's list.
 */
export function redisTestRefusal(options: { host: string; port: number; password?: string; username?: string }): string | undefined {
  if (!options.password && !options.username) return undefined;
  const target = redisTarget(options.host, options.port);
  if (allowedTestRedisHosts().includes(target)) return undefined;
  return (
    `Host ${target} is not listed in the ${TEST_REDIS_HOSTS_ENV} environment variable of n8n: the credential test sends the saved Redis password ` +
    `only to a host:port listed there (a test request can change the host while n8n fills in the saved password). ` +
    'Workflows use the saved host either way.'
  );
}
