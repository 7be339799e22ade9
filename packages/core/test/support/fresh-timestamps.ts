/**
 * Webhook fixtures are real payloads captured years ago; the replay guard (handleWebhookPost's
 * `maxEventAgeMs`, on by default at the dedupe horizon) rightly drops them. Tests about handling
 * an event (not about its age) post a copy whose every `timestamp` (and entry `time`) says "now", every other byte
 * as it was (a Buffer stays a Buffer, so non-ASCII bytes and their signature are untouched).
 * Tests about old payloads pass `maxEventAgeMs: 0` instead.
 */
export function freshTimestamps<T extends Buffer | string | object>(body: T, nowMs = Date.now()): T {
  const now = String(Math.floor(nowMs / 1000));
  // Events' "timestamp" and the entries' "time" (the signed time of template and account events).
  const refresh = (text: string) => text.replace(/("(?:timestamp|time)"\s*:\s*)"\d+"/g, `$1"${now}"`).replace(/("(?:timestamp|time)"\s*:\s*)\d+/g, `$1${now}`);
  // latin1 maps every byte to one char and back, so bytes outside the timestamps survive unchanged.
  if (Buffer.isBuffer(body)) return Buffer.from(refresh(body.toString('latin1')), 'latin1') as T;
  if (typeof body === 'string') return refresh(body) as T;
  return JSON.parse(refresh(JSON.stringify(body))) as T;
}
