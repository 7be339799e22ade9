// Measure 4, Node-RED part: the packed whatsapp-cloud-in node in real Node-RED 4 (on the same
// Node as the bare baseline), verifying signatures with the config node's app secret.
import { log } from '../lib/common.mjs';
import { loadHarness } from '../lib/harness.mjs';
import { packPackage } from '../lib/pack.mjs';
import { APP_SECRET, PHONE_NUMBER_ID, WABA_ID } from '../lib/webhook-payloads.mjs';

export async function nodeRedIngest({ duration, load }) {
  const { ensureNodeRed, startNodeRed } = await loadHarness();
  await ensureNodeRed(4);
  const tarball = await packPackage('node-red-whatsapp-cloud');
  const flows = [
    { id: 'bench_tab', type: 'tab', label: 'bench' },
    { id: 'bench_cfg', type: 'whatsapp-cloud-config', name: 'bench', phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA_ID, apiVersion: '', baseUrl: 'http://127.0.0.1:9', throughput: 80, windowPolicy: 'enforce', fallbackTemplate: '', fallbackLanguage: 'en_US' },
    { id: 'bench_in', type: 'whatsapp-cloud-in', z: 'bench_tab', name: 'webhook', config: 'bench_cfg', path: '/whatsapp', markRead: 'off', downloadMedia: false, x: 100, y: 100, wires: [[], [], []] },
    // Context: Node-RED's own http in → http response on the same runtime (Express + message passing, no WhatsApp work).
    { id: 'bench_httpin', type: 'http in', z: 'bench_tab', name: '', url: '/plain', method: 'post', upload: false, swaggerDoc: '', x: 100, y: 200, wires: [['bench_httpres']] },
    { id: 'bench_httpres', type: 'http response', z: 'bench_tab', name: '', statusCode: '200', headers: {}, x: 300, y: 200, wires: [] },
  ];
  log('webhook: Node-RED 4 in-node …');
  const nr = await startNodeRed({
    major: 4,
    flows,
    credentials: { bench_cfg: { accessToken: 'bench-token', appSecret: APP_SECRET, verifyToken: 'bench-verify' } },
    packages: [tarball],
  });
  try {
    const result = await load(`${nr.url}/whatsapp`, duration);
    const httpIn = await load(`${nr.url}/plain`, duration);
    if (/\[error\]/i.test(nr.logs())) log('Node-RED logged errors:\n' + nr.logs().split('\n').filter((l) => /\[error\]/i.test(l)).slice(0, 5).join('\n'));
    return { load: result, httpIn, info: { major: 4, node: process.version } };
  } finally {
    await nr.stop();
  }
}
