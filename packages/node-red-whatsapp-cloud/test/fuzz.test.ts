/**
 * Property-based fuzzing (fast-check) of the webhook node's POST route, through Node-RED's own
 * `RED.httpNode` (node-red-node-test-helper): truncated JSON, wrong types in every field, huge
 * arrays, deep nesting, invalid UTF-8, missing or repeated headers, bodies over 3 MB. Every answer
 * is 200 or the right 4xx, never a crash, an unhandled rejection or a hang, and no 4xx case emits
 * a msg. The generators are core's (packages/core/test/support/fuzz-webhooks.ts), not copies.
 *
 * Cases per property: WA_FUZZ_RUNS (default 2,000; `WA_FUZZ_RUNS=100000` for the stress run).
 * A failure prints fast-check's seed: replay with WA_FUZZ_SEED=<seed>.
 */
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import fc from 'fast-check';
import { APP_SECRET, FUZZ_RUNS, FUZZ_SEED, SAMPLES, byteDamage, damage, mutatedBody, sign, withinTime } from '../../core/test/support/fuzz-webhooks';
import { MAX_WEBHOOK_BYTES } from '@wa-cloud/core';
import { collect, helper, load, startServer, stop, type Loaded } from './helpers';

const PATH = '/fuzz-hook';
/** Fewer cases for the properties that only vary the signature (each case is one HTTP round trip). */
const SIGNATURE_RUNS = Math.max(1, Math.floor(FUZZ_RUNS / 2));

type Signing =
  | { kind: 'valid' }
  | { kind: 'missing' }
  | { kind: 'wrong-secret'; secret: string }
  | { kind: 'of-original' }
  | { kind: 'repeated' }
  | { kind: 'garbage'; value: string };

const signing: fc.Arbitrary<Signing> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrong-secret' as const), secret: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== APP_SECRET) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'of-original' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'repeated' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      value: fc.oneof(fc.constantFrom('', 'sha256=', 'sha1=abc', 'sha256=zz', `sha256=${'0'.repeat(64)}`, 'SHA256=' + '1'.repeat(64)), fc.string({ maxLength: 100 }).map((s) => s.replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, ''))),
    }),
  },
);

/** Headers of one case; `undefined` signature = no header. */
function headersFor(body: Buffer, original: Buffer, s: Signing): { signature?: string | string[]; valid: boolean } {
  switch (s.kind) {
    case 'valid':
      return { signature: sign(body), valid: true };
    case 'missing':
      return { valid: false };
    case 'wrong-secret':
      return { signature: sign(body, s.secret), valid: false };
    case 'of-original':
      return { signature: sign(original), valid: body.equals(original) };
    case 'repeated':
      return { signature: [sign(body), sign(body)], valid: false };
    case 'garbage':
      return { signature: s.value, valid: false };
  }
}

/** Lets every pending emit (microtasks, then one turn of the loop) reach the helper nodes. */
const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe('whatsapp-cloud-in under fuzzing', () => {
  let loaded: Loaded;
  let outputs: { messages: unknown[]; statuses: unknown[]; others: unknown[]; errors: unknown[] };
  const crashes: unknown[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let port: number;
  const onCrash = (error: unknown) => crashes.push(error);
  const emitted = () => outputs.messages.length + outputs.statuses.length + outputs.others.length;

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    await startServer();
    loaded = await load(
      [
        { id: 'cfg', type: 'whatsapp-cloud-config', name: 'fuzz', phoneNumberId: '100000000000001', baseUrl: 'http://127.0.0.1:9', throughput: 80, windowPolicy: 'enforce' },
        { id: 'tab', type: 'tab' },
        { id: 'in', z: 'tab', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, wires: [['messages'], ['statuses'], ['others']] },
        { id: 'messages', z: 'tab', type: 'helper' },
        { id: 'statuses', z: 'tab', type: 'helper' },
        { id: 'others', z: 'tab', type: 'helper' },
        { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
        { id: 'errors', z: 'tab', type: 'helper' },
      ],
      { cfg: { accessToken: 'fuzz-token', appSecret: APP_SECRET, verifyToken: 'fuzz-verify' } },
    );
    port = Number(new URL(loaded.nodeUrl).port);
    outputs = {
      messages: collect(helper.getNode('messages')),
      statuses: collect(helper.getNode('statuses')),
      others: collect(helper.getNode('others')),
      errors: collect(helper.getNode('errors')),
    };
    // node.error without a msg reaches no Catch node: count those calls too.
    const inNode = helper.getNode('in');
    const original = inNode.error.bind(inNode);
    inNode.error = (error: unknown, msg?: unknown) => {
      outputs.errors.push(error);
      return original(error, msg);
    };
  });

  afterAll(async () => {
    agent.destroy();
    await stop(loaded);
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  });

  afterEach(() => {
    expect(crashes).toEqual([]);
    expect(outputs.errors).toEqual([]);
    expect(helper.getNode('in')).toBeTruthy();
  });

  /**
   * One POST with exactly these bytes (supertest would JSON-serialise a Buffer sent as
   * application/json), through a real socket to `RED.httpNode`. A repeated header is sent as two
   * header lines; `chunked` leaves out Content-Length.
   */
  function post(body: Buffer, signature: string | string[] | undefined, contentType: string | undefined = 'application/json', chunked = false) {
    const headers: http.OutgoingHttpHeaders = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (signature !== undefined) headers['x-hub-signature-256'] = signature;
    if (!chunked) headers['content-length'] = body.length;
    return withinTime(
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        // A connection cut without an answer is a failure of the case, never a silent hang.
        req.on('error', reject);
        for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
        req.end();
      }),
    );
  }

  test(`mutated, damaged and mis-signed bodies: 200, 400 or 401 as appropriate; nothing emitted on a 4xx (${FUZZ_RUNS} cases)`, async () => {
    const counts: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        mutatedBody,
        signing,
        fc.constantFrom<string | undefined>('application/json', undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'),
        async ({ sample, body }, s, contentType) => {
          const original = SAMPLES.find((x) => x.name === sample)!.raw;
          const { signature, valid } = headersFor(body, original, s);
          const before = emitted();
          const res = await post(body, signature, contentType);
          await settle();
          counts[res.status] = (counts[res.status] ?? 0) + 1;
          if (body.length > MAX_WEBHOOK_BYTES) {
            expect(res.status).toBe(413); // refused while reading, before the signature is looked at
          } else if (!valid) {
            expect(res.status).toBe(401);
          } else {
            expect([200, 400]).toContain(res.status);
          }
          if (res.status !== 200) expect(emitted()).toBe(before);
        },
      ),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
    console.log(`[node-red fuzz] ${FUZZ_RUNS} cases: ${JSON.stringify(counts)}`);
  }, Math.max(120_000, FUZZ_RUNS * 100));

  test(`every tampered, re-serialised or wrong-secret body is refused with 401 and emits nothing (${SIGNATURE_RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SAMPLES),
        fc.oneof(
          byteDamage.filter((d) => d.kind !== 'none').map((d) => ({ kind: 'tamper' as const, d })),
          fc.constantFrom(0, 1, 2, 4).map((indent) => ({ kind: 'reserialise' as const, indent })),
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s !== APP_SECRET).map((secret) => ({ kind: 'secret' as const, secret })),
        ),
        async (sample, change) => {
          const signature = sign(sample.raw);
          let body: Buffer = sample.raw;
          let header = signature;
          if (change.kind === 'tamper') body = damage(sample.raw, change.d);
          if (change.kind === 'reserialise') body = Buffer.from(JSON.stringify(sample.json, null, change.indent || undefined));
          if (change.kind === 'secret') header = `sha256=${createHmac('sha256', change.secret).update(sample.raw).digest('hex')}`;
          fc.pre(!body.equals(sample.raw) || change.kind === 'secret');
          const before = emitted();
          const res = await post(body, header);
          await settle();
          expect(res.status).toBe(401);
          expect(emitted()).toBe(before);
        },
      ),
      { numRuns: SIGNATURE_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
  }, Math.max(120_000, SIGNATURE_RUNS * 100));

  test('bodies over 3 MB: 413 (declared length and streamed without one), nothing emitted, the node keeps working', async () => {
    const valid = SAMPLES.find((s) => s.name === 'msg-text.json')!;
    const before = emitted();
    for (const size of [3 * 1024 * 1024 + 1, 5 * 1024 * 1024]) {
      const big = Buffer.concat([valid.raw.subarray(0, valid.raw.length - 1), Buffer.from(`,"pad":"${'x'.repeat(size)}"}`)]);
      const declared = await post(big, sign(big));
      expect(declared.status).toBe(413);
      // Chunked (no Content-Length): the reader counts while streaming.
      const streamed = await post(big, sign(big), 'application/json', true);
      expect(streamed.status).toBe(413);
    }
    await settle();
    expect(emitted()).toBe(before);
    const ok = await post(valid.raw, sign(valid.raw));
    expect(ok.status).toBe(200);
  });

  test('a body that is not JSON at all, empty, or binary: 400 with a valid signature, 401 without', async () => {
    for (const body of [Buffer.alloc(0), Buffer.from('null'), Buffer.from('[]'), Buffer.from('"x"'), Buffer.from([0xff, 0xfe, 0x00, 0x01]), Buffer.from('{"object":"whatsapp_business_account","entry":')]) {
      const before = emitted();
      expect((await post(body, sign(body))).status).toBe(400);
      expect((await post(body, undefined)).status).toBe(401);
      await settle();
      expect(emitted()).toBe(before);
    }
  });
});
