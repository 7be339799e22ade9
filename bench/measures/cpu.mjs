// Measure 6: CPU per send through the core client with a no-op transport (build + validate +
// Graph body + limiter bookkeeping + request/response handling), next to JSON.stringify of the
// same Graph body. CPU time (process.cpuUsage), not wall time: the limiter's waits cost no CPU.
import { core, log, result, round } from '../lib/common.mjs';

export const id = 'cpu';
export const title = 'Per-message CPU (no-op transport)';

const components = (i) => [{ type: 'body', parameters: [{ type: 'text', text: `User ${i}` }, { type: 'text', text: `A-${i}` }] }];
const cpuMicros = (since) => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

export async function run({ quick }) {
  const { WhatsAppClient, templateMessage, validateOutboundMessage, toGraphBody } = core();
  const sends = quick ? 3000 : 10000;
  const answer = Buffer.from(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '+15550000000', wa_id: '15550000000' }], messages: [{ id: 'wamid.HBgLMTU1NTAwMDAwMDAVAgARGBI5QUE=' }] }));
  const transport = { request: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: answer }) };
  // The highest throughput the limiter accepts, distinct recipients: pacing never waits long.
  const client = new WhatsAppClient({ accessToken: 'x', phoneNumberId: '100000000000001', transport, throughput: 10_000 });

  const sendAll = (n, offset) => Promise.all(Array.from({ length: n }, (_, i) => client.sendTemplate(`+1555${offset + i}`, 'order_update', 'en', components(i))));
  await sendAll(500, 1_000_000); // warm up (JIT, pools)
  log(`cpu: ${sends} sends with a no-op transport…`);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sendAll(sends, 2_000_000);
  const wallMs = performance.now() - t0;
  const clientUs = cpuMicros(c0) / sends;
  await client.close();

  // The same work without the client: build + validate + Graph body (synchronous).
  const loops = quick ? 50_000 : 200_000;
  const buildOnce = (i) => toGraphBody(validateOutboundMessage(templateMessage(`+1555${3_000_000 + (i % 100_000)}`, 'order_update', 'en', components(i))));
  for (let i = 0; i < 5000; i++) buildOnce(i);
  let c1 = process.cpuUsage();
  for (let i = 0; i < loops; i++) buildOnce(i);
  const buildUs = cpuMicros(c1) / loops;

  // JSON.stringify of the same Graph body.
  const bodies = Array.from({ length: 1000 }, (_, i) => buildOnce(i));
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += JSON.stringify(bodies[i % 1000]).length;
  const jsonLoops = loops * 4;
  c1 = process.cpuUsage();
  for (let i = 0; i < jsonLoops; i++) sink += JSON.stringify(bodies[i % 1000]).length;
  const stringifyUs = cpuMicros(c1) / jsonLoops;
  if (sink === 0) throw new Error('unreachable');

  const details = { sends, wallMs: round(wallMs), buildValidateUs: round(buildUs, 2), stringifyUs: round(stringifyUs, 3), bodyBytes: JSON.stringify(bodies[0]).length };
  return [
    result('cpu_us_per_send', clientUs, 'report', { unit: 'µs', details }),
    result('cpu_us_build_validate', buildUs, 'report', { unit: 'µs' }),
    result('cpu_us_json_stringify', stringifyUs, 'report', { unit: 'µs' }),
    result('cpu_send_vs_stringify_ratio', clientUs / stringifyUs, 'report'),
  ];
}
