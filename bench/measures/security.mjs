// Measure: the two denial-of-service paths of issue #19, side by side in one run.
//  1. A 3 MB webhook body with a WRONG signature, non-ASCII vs ASCII (same size), rejected by core's
//     handleWebhookPost behind a real loopback HTTP server (what an adapter does): the unicode-escaped
//     second try must not let an unauthenticated sender buy CPU. Goal: non-ASCII ≤ 2× ASCII (median
//     wall time of the whole rejection). The handler's own CPU per body is reported next to it.
//  2. A base URL of 100 kB of slashes (the quadratic `/\/+$/` froze Node-RED's editor for 8 s):
//     core's trimTrailingSlashes on the worst case and GraphApi's check of such a URL. Goal < 10 ms.
import * as http from 'node:http';
import { atMost, core, log, result, round } from '../lib/common.mjs';

export const id = 'security';
export const title = 'Denial-of-service guards (webhook signature, base URL)';

const SECRET = 'bench-app-secret';
const WRONG = 'sha256=' + '0'.repeat(64);

/** A Meta-shaped body of about `bytes` bytes, with accented text and emoji, or plain ASCII. */
function body(bytes, nonAscii) {
  const messages = [];
  let size = 60;
  for (let i = 0; size < bytes; i++) {
    const text = nonAscii ? `Olá, pedido número ${i}: ação confirmada ☕ 👍 Grüße, ça va` : `Hello, order number ${i}: action confirmed, coffee and thanks ok`;
    const m = JSON.stringify({ from: '15551234567', id: `wamid.${i}`, timestamp: '1700000000', text: { body: text }, type: 'text' });
    messages.push(m);
    size += Buffer.byteLength(m) + 1;
  }
  return Buffer.from(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":[${messages.join(',')}]}}]}]}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function signatureRatio(quick) {
  const { handleWebhookPost } = core();
  const cpu = { ascii: [], nonAscii: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const kind = req.headers['x-kind'];
      const c0 = process.cpuUsage();
      handleWebhookPost({ rawBody: Buffer.concat(chunks), headers: req.headers, appSecret: SECRET, verify: true })
        .then(() => res.writeHead(200).end())
        .catch(() => res.writeHead(401).end())
        .finally(() => {
          const u = process.cpuUsage(c0);
          cpu[kind].push((u.user + u.system) / 1000);
        });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const bodies = { ascii: body(3_000_000, false), nonAscii: body(3_000_000, true) };
  const post = (kind) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/webhook', headers: { 'content-type': 'application/json', 'x-hub-signature-256': WRONG, 'x-kind': kind } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 401 ? resolve(performance.now() - t0) : reject(new Error(`expected 401, got ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(bodies[kind]);
    });
  const rounds = quick ? 8 : 20;
  for (let i = 0; i < 3; i++) {
    await post('ascii');
    await post('nonAscii');
  }
  cpu.ascii.length = 0;
  cpu.nonAscii.length = 0;
  const wall = { ascii: [], nonAscii: [] };
  log(`security: ${rounds} wrong-signature 3 MB posts of each kind, interleaved…`);
  for (let i = 0; i < rounds; i++) {
    wall.ascii.push(await post('ascii'));
    wall.nonAscii.push(await post('nonAscii'));
  }
  await new Promise((r) => server.close(r));
  const ascii = median(wall.ascii);
  const nonAscii = median(wall.nonAscii);
  const details = { asciiMs: round(ascii, 1), nonAsciiMs: round(nonAscii, 1), handlerCpuAsciiMs: round(median(cpu.ascii), 1), handlerCpuNonAsciiMs: round(median(cpu.nonAscii), 1), bytes: [bodies.ascii.length, bodies.nonAscii.length] };
  return [
    result('webhook_wrong_signature_3mb_nonascii_vs_ascii', nonAscii / ascii, atMost(2), { details }),
    result('webhook_wrong_signature_3mb_handler_cpu_ratio', median(cpu.nonAscii) / median(cpu.ascii), 'report'),
  ];
}

function slashes() {
  const { trimTrailingSlashes, GraphApi } = core();
  const worst = 'https://graph.example' + '/'.repeat(100_000) + 'x';
  const trailing = 'https://graph.example' + '/'.repeat(100_000);
  const time = (fn) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  // Warm up on short inputs (JIT, module loading), then time the 100 kB ones.
  for (let i = 0; i < 200; i++) {
    trimTrailingSlashes('https://a//');
    try {
      new GraphApi({ accessToken: 'x', baseUrl: 'https://a' + '/'.repeat(3000) });
    } catch {
      // too long: refused
    }
  }
  const trimMs = Math.max(time(() => trimTrailingSlashes(worst)), time(() => trimTrailingSlashes(trailing)));
  const checkMs = Math.max(
    ...[worst, trailing].map((url) =>
      time(() => {
        try {
          new GraphApi({ accessToken: 'x', baseUrl: url });
        } catch {
          // refused (too long): what matters is how fast
        }
      }),
    ),
  );
  return [result('base_url_100kb_slashes_ms', Math.max(trimMs, checkMs), atMost(10), { unit: 'ms', details: { trimMs: round(trimMs, 3), graphApiCheckMs: round(checkMs, 3) } })];
}

export async function run({ quick }) {
  return [...(await signatureRatio(quick)), ...slashes()];
}
