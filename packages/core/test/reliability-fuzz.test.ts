/**
 * Property-based fuzzing of the inbound webhook path (verify → parse → dedupe → window).
 *
 * For any input, `handleWebhookPost` resolves (the adapter answers 200) or rejects with a
 * WhatsAppError carrying a 4xx `status` (the adapter answers it); never another exception, an
 * unhandled rejection or a hang. Bodies are real samples broken every way we could think of.
 *
 * Runs per property: `WA_FUZZ_RUNS` (default 2,000; `npm run test:stress` uses 100,000).
 * A failure prints fast-check's seed and path: replay with `WA_FUZZ_SEED=<seed>`.
 */
import fc from 'fast-check';
import { WebhookPayloadError, WebhookSignatureError, WebhookVerificationError } from '../src/errors/error-classes';
import { isWhatsAppError } from '../src/errors/whatsapp-error';
import { EventDeduplicator, MemoryDedupeStore, dedupeKey } from '../src/webhook/dedupe';
import { MAX_WEBHOOK_BYTES, WebhookTooLargeError } from '../src/webhook/errors';
import { handleWebhookGet, handleWebhookPost, type WebhookHeaders } from '../src/webhook/handle';
import { parseWebhook } from '../src/webhook/parse';
import type { InboundEvent } from '../src/webhook/types';
import { escapeUnicode, verifySignature } from '../src/webhook/verify';
import { SERVICE_WINDOW_MS, WindowTracker } from '../src/window/window-tracker';
import { MemoryKeyedExpiryStore } from '../src/window/window-store';
import {
  APP_SECRET,
  FUZZ_RUNS,
  FUZZ_SEED,
  SAMPLES,
  applyMutations,
  assertUsable,
  mutatedBody,
  mutation,
  nest,
  pathsOf,
  setAt,
  sign,
  statusOf,
  weirdValue,
  withinTime,
} from './support/fuzz-webhooks';

/** The most one of the 1,000,000-level bodies may take (linear work on ~2 MB; a quadratic walk takes hours). */
const DEEP_BODY_MS = 30_000;
/** Budget per property: generous, since 100,000 runs of the stress mode take minutes. */
const timeoutFor = (runs: number) => 60_000 + runs * 10;
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) });
const some = (fraction: number, min = 20) => Math.max(min, Math.round(FUZZ_RUNS * fraction));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function fresh() {
  const dedupeStore = new MemoryDedupeStore();
  const windowStore = new MemoryKeyedExpiryStore();
  return { dedupeStore, windowStore, deduplicator: new EventDeduplicator(dedupeStore), windowTracker: new WindowTracker(windowStore) };
}

type Outcome = { status: 200; events: InboundEvent[]; duplicates: number } | { status: number; error: unknown };

/** One POST as an adapter runs it: the answer it would give, or a thrown Error for anything it could not answer. */
async function post(rawBody: Buffer | string, headers: WebhookHeaders, state = fresh()): Promise<Outcome> {
  try {
    const result = await withinTime(handleWebhookPost({ rawBody, headers, appSecret: APP_SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker }));
    return { status: 200, ...result };
  } catch (error) {
    if (error instanceof Error && error.message.includes('(a hang)')) throw error;
    return { status: statusOf(error), error };
  }
}

const signed = (body: Buffer | string): WebhookHeaders => ({ 'x-hub-signature-256': sign(body) });

/** Depth of a JSON value (objects and arrays count one level each), iteratively. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    max = Math.max(max, depth);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return max;
}

/** The JSON text of {@link nest}(depth, 'x', kind), without recursion. */
function nestedText(depth: number, kind: 'array' | 'object' | 'mixed'): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = depth - 1; i >= 0; i--) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    open.push(asArray ? '[' : '{"k":');
    close.push(asArray ? ']' : '}');
  }
  return `${open.join('')}"x"${close.reverse().join('')}`;
}

describe('fuzz: signed but broken bodies (valid signature over the mutated bytes)', () => {
  test(`${FUZZ_RUNS} mutated samples: 200 with usable events, or a 4xx WhatsAppError`, async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(mutatedBody, fc.boolean(), async ({ body }, asString) => {
        // A string body is what a framework hands over after decoding; invalid bytes become U+FFFD.
        const raw = asString ? body.toString('utf8') : body;
        const outcome = await post(raw, signed(raw));
        seen.set(outcome.status, (seen.get(outcome.status) ?? 0) + 1);
        if ('events' in outcome) {
          assertUsable(outcome.events);
          // A body may hold the same wamid twice (a repeated item, or two changes of one fixture): dropped as a duplicate.
          expect(outcome.duplicates).toBeGreaterThanOrEqual(0);
        } else {
          expect([400, 413]).toContain(outcome.status);
        }
      }),
      params(FUZZ_RUNS),
    );
    // Both paths were exercised (the mutators are not so harsh that everything is a 400).
    expect(seen.get(200) ?? 0).toBeGreaterThan(FUZZ_RUNS / 20);
    expect(seen.get(400) ?? 0).toBeGreaterThan(FUZZ_RUNS / 20);
  }, timeoutFor(FUZZ_RUNS));

  test('deep nesting anywhere (1 to 20,000 levels): 200 up to 100 levels, 400 beyond, never a RangeError', async () => {
    const sample = SAMPLES.find((s) => s.name === 'msg-text.json')!;
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 120, max: 20_000 })),
        fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed'),
        async (pick, depth, kind) => {
          const paths = pathsOf(sample.json);
          const path = paths[pick % paths.length]!;
          // Serialised by hand: JSON.stringify itself overflows on a few thousand levels.
          const placeholder = setAt(sample.json, path, '\u0000NEST');
          const body = Buffer.from(JSON.stringify(placeholder).replace('"\\u0000NEST"', nestedText(depth, kind)));
          const outcome = await post(body, signed(body));
          if (Math.max(depthOf(placeholder), path.length + depth) > 100) {
            expect(outcome.status).toBe(400);
            expect((outcome as { error: unknown }).error).toBeInstanceOf(WebhookPayloadError);
          } else if ('events' in outcome) {
            assertUsable(outcome.events);
          } else {
            // Shallow enough, but the nesting replaced a part of the envelope that must be an object or a list.
            expect(outcome.status).toBe(400);
          }
        },
      ),
      params(some(0.05)),
    );
  }, timeoutFor(some(0.05)) * 2);

  test('1,000,000 levels of nesting and a body of only brackets answer 400 fast', async () => {
    for (const body of ['['.repeat(1_000_000) + ']'.repeat(1_000_000), '{"a":'.repeat(300_000) + '1' + '}'.repeat(300_000), '['.repeat(2_000_000)]) {
      const started = Date.now();
      const outcome = await post(body, signed(body));
      expect(outcome.status).toBe(400);
      // "Fast" is linear, not a stall: a walk that is quadratic in 1,000,000 levels takes hours. Each
      // body took 2.8 s on average with the machine loaded (8.3 s for the three), too near the 5 s of
      // one fuzz case, so this bound is its own.
      expect(Date.now() - started).toBeLessThan(DEEP_BODY_MS);
    }
  }, 4 * DEEP_BODY_MS);

  test('the parsed-object entry point (parseWebhook) takes any JSON value: events or WebhookPayloadError', () => {
    const anyJsonInEnvelope = fc.record({ sample: fc.constantFrom(...SAMPLES), mutations: fc.array(mutation, { maxLength: 3 }) }).map(({ sample, mutations }) =>
      applyMutations(sample.json, mutations),
    );
    fc.assert(
      fc.property(fc.oneof(anyJsonInEnvelope, fc.jsonValue(), weirdValue), (value) => {
        try {
          assertUsable(parseWebhook(value));
        } catch (error) {
          expect(error).toBeInstanceOf(WebhookPayloadError);
        }
      }),
      params(FUZZ_RUNS),
    );
    // A self-referencing object (not JSON) is refused, not walked forever.
    const cyclic: Record<string, unknown> = { object: 'whatsapp_business_account', entry: [] };
    (cyclic.entry as unknown[]).push({ id: '1', changes: [{ field: 'account_update', value: cyclic }] });
    expect(() => parseWebhook(cyclic)).toThrow(WebhookPayloadError);
  }, timeoutFor(FUZZ_RUNS));

  test('arbitrary bytes and strings: 200 never, 400 or 401 always', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)), fc.string({ unit: 'binary', maxLength: 2000 })), fc.boolean(), async (body, withSignature) => {
        const outcome = await post(body, withSignature ? signed(body) : {});
        expect(outcome.status).toBe(withSignature ? 400 : 401);
      }),
      params(FUZZ_RUNS),
    );
  }, timeoutFor(FUZZ_RUNS));
});

describe('fuzz: size', () => {
  test('over 3 MB (bytes, not characters) is 413 before any hashing; 3 MB exactly is not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('buffer', 'ascii', 'multibyte'), fc.boolean(), async (over, form, withSignature) => {
        const size = MAX_WEBHOOK_BYTES + over;
        let body: Buffer | string;
        if (form === 'buffer') body = Buffer.alloc(size, 0x7b);
        else if (form === 'ascii') body = 'a'.repeat(size);
        // 3-byte characters: fewer than 3 M characters, more than 3 MB.
        else body = '€'.repeat(Math.ceil(size / 3));
        const outcome = await post(body, withSignature ? signed(body) : { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) });
        expect(outcome.status).toBe(413);
        expect((outcome as { error: unknown }).error).toBeInstanceOf(WebhookTooLargeError);
      }),
      params(some(0.005, 8)),
    );
    // At the limit: the size check passes, and the (wrong) signature is what fails.
    const atLimit = Buffer.alloc(MAX_WEBHOOK_BYTES, 0x20);
    expect((await post(atLimit, { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) })).status).toBe(401);
    expect((await post(atLimit, signed(atLimit))).status).toBe(400);
  }, 120_000);
});

describe('fuzz: signatures (tampered, re-serialised, wrong secret → 401, nothing processed)', () => {
  type Tamper =
    | { kind: 'flip'; at: number; xor: number }
    | { kind: 'reserialise'; indent: number | undefined; reorder: boolean }
    | { kind: 'wrong-secret'; secret: string }
    | { kind: 'other-body'; other: number }
    | { kind: 'mangle-header'; how: number };

  const tamper: fc.Arbitrary<Tamper> = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('reserialise' as const), indent: fc.constantFrom(undefined, 0, 1, 2, 4), reorder: fc.boolean() }),
    fc.record({ kind: fc.constant('wrong-secret' as const), secret: fc.string({ maxLength: 40 }).filter((s) => s !== APP_SECRET) }),
    fc.record({ kind: fc.constant('other-body' as const), other: fc.nat() }),
    fc.record({ kind: fc.constant('mangle-header' as const), how: fc.integer({ min: 0, max: 7 }) }),
  );

  function reorder(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reorder);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
    return value;
  }

  test(`${FUZZ_RUNS} tampered deliveries: WebhookSignatureError (401), no dedupe key, no window recorded`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SAMPLES), tamper, async (sample, t) => {
        const original = sample.raw;
        let body: Buffer = original;
        let header = sign(original);
        switch (t.kind) {
          case 'flip': {
            body = Buffer.from(original);
            const i = t.at % body.length;
            body[i] = body[i]! ^ t.xor;
            break;
          }
          case 'reserialise': {
            // What a framework does when it hands over JSON.stringify(req.body) instead of the bytes.
            const json = JSON.parse(original.toString('utf8')) as unknown;
            body = Buffer.from(JSON.stringify(t.reorder ? reorder(json) : json, null, t.indent));
            // The unicode-escape second try accepts exactly Meta's escaped form of the same bytes; not a tamper.
            fc.pre(!body.equals(original) && escapeUnicode(body.toString('utf8')) !== original.toString('utf8'));
            break;
          }
          case 'wrong-secret':
            header = sign(original, t.secret);
            break;
          case 'other-body': {
            const other = SAMPLES[t.other % SAMPLES.length]!;
            fc.pre(!other.raw.equals(original));
            header = sign(other.raw);
            break;
          }
          case 'mangle-header': {
            const hex = header.slice('sha256='.length);
            header = [
              `sha1=${hex}`,
              hex,
              `sha256=${hex.slice(0, 63)}`,
              `sha256=${hex}0`,
              `sha256=${hex.slice(0, 62)}${hex[62] === '0' ? '1' : '0'}${hex[63]}`,
              `sha256 =${hex}`,
              `sha256=${Buffer.from(hex, 'hex').toString('base64')}`,
              `SHA256=${hex}`,
            ][t.how]!;
            break;
          }
        }
        const state = fresh();
        const outcome = await post(body, { 'x-hub-signature-256': header }, state);
        expect(outcome.status).toBe(401);
        expect((outcome as { error: unknown }).error).toBeInstanceOf(WebhookSignatureError);
        expect(state.dedupeStore.size).toBe(0);
        expect(state.windowStore.size).toBe(0);
      }),
      params(FUZZ_RUNS),
    );
  }, timeoutFor(FUZZ_RUNS));

  test('missing, repeated, garbled or non-string signature headers: 200 only for exactly one valid value', async () => {
    const names = ['x-hub-signature-256', 'X-Hub-Signature-256', 'X-HUB-SIGNATURE-256'];
    const sample = SAMPLES.find((s) => s.name === 'msg-text.json')!;
    const valid = sign(sample.raw);
    const candidate = fc.oneof(
      fc.constantFrom<unknown>(
        valid,
        valid.toUpperCase().replace('SHA256=', 'sha256='),
        ` ${valid} `,
        sign(sample.raw, 'other-secret'),
        'sha256=',
        '',
        'sha1=abc',
        undefined,
        null,
        42,
        { value: valid },
      ),
      fc.string({ maxLength: 80 }),
      fc.array(fc.constantFrom<unknown>(valid, sign('x'), ''), { maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...names), candidate), { maxLength: 3 }), async (pairs) => {
        const headers: Record<string, unknown> = { 'content-type': 'application/json' };
        for (const [name, value] of pairs) headers[name] = value;
        // The model: every value under any casing of the name, arrays flattened, undefined ignored.
        const values = Object.entries(headers)
          .filter(([name]) => name.toLowerCase() === 'x-hub-signature-256')
          .flatMap(([, v]) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
        const accepted = values.length === 1 && typeof values[0] === 'string' && values[0].trim().toLowerCase() === valid;
        const outcome = await post(sample.raw, headers as WebhookHeaders);
        expect(outcome.status).toBe(accepted ? 200 : 401);
      }),
      params(FUZZ_RUNS),
    );
  }, timeoutFor(FUZZ_RUNS));

  test('verifySignature never throws and is true only for the HMAC of the body (or of its escaped form)', () => {
    const body = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), weirdValue);
    const header = fc.oneof(fc.string({ maxLength: 100 }), fc.constantFrom<unknown>(undefined, null, 0, [], {}), fc.string({ maxLength: 20 }).map((s) => sign(s)));
    const secret = fc.oneof(fc.constant(APP_SECRET), fc.string({ maxLength: 20 }), fc.constantFrom<unknown>(undefined, null, 1));
    fc.assert(
      fc.property(body, header, secret, fc.boolean(), (b, h, s, useRealSignature) => {
        const realHeader = useRealSignature && (typeof b === 'string' || Buffer.isBuffer(b)) && typeof s === 'string' && s !== '' ? sign(b, s) : h;
        const result = verifySignature(b as Buffer, realHeader as string, s as string);
        expect(typeof result).toBe('boolean');
        if (realHeader !== h) expect(result).toBe(true);
        if (result) {
          const bytes = typeof b === 'string' ? Buffer.from(b) : (b as Buffer);
          expect([sign(bytes, s as string), sign(escapeUnicode(bytes.toString('utf8')), s as string)]).toContain((realHeader as string).trim().toLowerCase());
        }
      }),
      params(FUZZ_RUNS),
    );
  }, timeoutFor(FUZZ_RUNS));

  test('the verification GET: the challenge for the right token, else WebhookVerificationError (403)', () => {
    const TOKEN = 'fuzz-verify-token';
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom<unknown>(undefined, 'subscribe', TOKEN, '', ['subscribe'], [TOKEN, TOKEN], 5, null));
    fc.assert(
      fc.property(value, value, value, fc.constantFrom(TOKEN, ''), (mode, token, challenge, configured) => {
        const query = { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } as Record<string, string>;
        const ok = mode === 'subscribe' && configured !== '' && token === configured && typeof challenge === 'string' && challenge !== '';
        try {
          expect(handleWebhookGet(query, configured)).toBe(challenge);
          expect(ok).toBe(true);
        } catch (error) {
          if (!isWhatsAppError(error)) throw error;
          expect(error).toBeInstanceOf(WebhookVerificationError);
          expect((error as WebhookVerificationError).status).toBe(403);
          expect(ok).toBe(false);
        }
      }),
      params(FUZZ_RUNS),
    );
  }, timeoutFor(FUZZ_RUNS));
});

describe('fuzz: redeliveries and out-of-order statuses', () => {
  const PHONE = '106540352242922';
  const STATUS_PATHS = [['sent', 'delivered', 'read'], ['sent', 'read'], ['sent', 'delivered'], ['sent'], ['sent', 'failed'], ['failed']];
  const RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

  interface Item {
    key: string;
    user: string;
    kind: 'message' | 'status';
    /** unix seconds */
    at: number;
    json: Record<string, unknown>;
  }

  /** One conversation's worth of webhook items: inbound messages and the statuses of our sends. */
  const scenario = fc
    .record({
      users: fc.integer({ min: 1, max: 4 }),
      inbound: fc.array(fc.record({ user: fc.nat(), agoMinutes: fc.integer({ min: 1, max: 600 }) }), { maxLength: 8 }),
      sends: fc.array(fc.record({ user: fc.nat(), path: fc.nat(), agoMinutes: fc.integer({ min: 1, max: 600 }), windowClosed: fc.boolean() }), { maxLength: 6 }),
    })
    .map(({ users, inbound, sends }) => {
      const now = Math.floor(Date.now() / 1000);
      const user = (n: number) => `1555000${String(n % users).padStart(4, '0')}`;
      const items: Item[] = [];
      inbound.forEach((m, i) => {
        const at = now - m.agoMinutes * 60;
        items.push({
          key: `m:wamid.in${i}`,
          user: user(m.user),
          kind: 'message',
          at,
          json: { from: user(m.user), id: `wamid.in${i}`, timestamp: String(at), type: 'text', text: { body: `hi ${i}` } },
        });
      });
      sends.forEach((s, i) => {
        const to = user(s.user);
        // A 131047 failure only happens when the user wrote nothing in the 24 h before it: keep the scenario consistent.
        const lastInbound = Math.max(-Infinity, ...items.filter((it) => it.kind === 'message' && it.user === to).map((it) => it.at));
        const path = STATUS_PATHS[s.path % STATUS_PATHS.length]!;
        path.forEach((status, step) => {
          const at = now - s.agoMinutes * 60 + step * 5;
          const closes = status === 'failed' && s.windowClosed && lastInbound < at - SERVICE_WINDOW_MS / 1000;
          items.push({
            key: `s:wamid.out${i}:${status}`,
            user: to,
            kind: 'status',
            at,
            json: {
              id: `wamid.out${i}`,
              status,
              timestamp: String(at),
              recipient_id: to,
              biz_opaque_callback_data: `cb-${i}`,
              ...(status === 'failed' ? { errors: [{ code: closes ? 131047 : 131026, title: 'x', message: 'x', error_data: { details: 'x' } }] } : {}),
            },
          });
        });
      });
      return { now, items };
    });

  /** How Meta might deliver the items: each 1–3 times, in any order, in batches of 1–5 (duplicates may share a batch). */
  const deliveries = scenario.chain(({ now, items }) =>
    fc
      .tuple(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: items.length, maxLength: items.length }), fc.infiniteStream(fc.nat()), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 60, maxLength: 60 }), fc.boolean())
      .map(([copies, order, sizes, concurrent]) => {
        const sent = items.flatMap((item, i) => Array.from({ length: copies[i]! }, () => item));
        // Fisher–Yates with the generated stream: any order, read before delivered included.
        const it = order[Symbol.iterator]();
        for (let i = sent.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [sent[i], sent[j]] = [sent[j]!, sent[i]!];
        }
        const batches: Item[][] = [];
        for (let i = 0, b = 0; i < sent.length; b++) {
          const size = sizes[b % sizes.length]!;
          batches.push(sent.slice(i, i + size));
          i += size;
        }
        return { now, items, batches, concurrent };
      }),
  );

  function body(batch: Item[]): Buffer {
    const messages = batch.filter((i) => i.kind === 'message').map((i) => i.json);
    const statuses = batch.filter((i) => i.kind === 'status').map((i) => i.json);
    return Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: PHONE }, messages, statuses } }] }],
      }),
    );
  }

  test('each item becomes exactly one event; statuses and windows end where the ordered history ends', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async ({ items, batches, concurrent }) => {
        const state = fresh();
        const emitted: InboundEvent[] = [];
        const deliver = async (batch: Item[]) => {
          const raw = body(batch);
          const outcome = await post(raw, signed(raw), state);
          expect(outcome.status).toBe(200);
          emitted.push(...(outcome as { events: InboundEvent[] }).events);
        };
        if (concurrent) await Promise.all(batches.map(deliver));
        else for (const batch of batches) await deliver(batch);

        // One event per distinct item, whatever the order or the number of copies.
        const keys = emitted.map((e) => dedupeKey(e));
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(new Set(items.map((i) => `${i.key.startsWith('m:') ? `m:${PHONE}:` : `s:${PHONE}:`}${i.key.slice(2)}`)));

        // The final status of each of our messages, taken as the furthest one seen, is its real final status.
        const finalOf = (statuses: string[]) => statuses.reduce((best, s) => (RANK[s]! > RANK[best]! ? s : best));
        const byMessage = new Map<string, string[]>();
        for (const e of emitted) if (e.kind === 'status') byMessage.set(e.messageId, [...(byMessage.get(e.messageId) ?? []), e.status]);
        for (const [id, statuses] of byMessage) {
          const real = items.filter((i) => i.kind === 'status' && i.json.id === id).map((i) => i.json.status as string);
          expect(finalOf(statuses)).toBe(finalOf(real));
        }

        // Windows: open until 24 h after the user's latest message, however the messages arrived.
        for (const user of new Set(items.map((i) => i.user))) {
          const latest = Math.max(-Infinity, ...items.filter((i) => i.kind === 'message' && i.user === user).map((i) => i.at));
          const window = await state.windowTracker.status(PHONE, user);
          if (latest === -Infinity) expect(window.open).toBe(false);
          else expect(window).toEqual({ open: true, expiresAt: new Date(latest * 1000 + SERVICE_WINDOW_MS) });
        }
      }),
      params(some(0.25)),
    );
  }, timeoutFor(some(0.25)));
});
