// One n8n user folder per bench run with our packed n8n package installed like a user install.
import * as fs from 'node:fs';
import { log } from './common.mjs';
import { loadHarness } from './harness.mjs';
import { packPackage } from './pack.mjs';

export const PKG = '@wa-cloud/n8n-nodes-whatsapp-cloud';
export const ACTION = `${PKG}.whatsAppCloud`;
export const TRIGGER = `${PKG}.whatsAppCloudTrigger`;
export const HIGH_VOLUME_TRIGGER = `${PKG}.whatsAppCloudHighVolumeTrigger`;

let setup;
const folders = [];
process.on('exit', () => {
  for (const f of folders) fs.rmSync(f, { recursive: true, force: true });
});

export async function n8nUserFolder() {
  if (setup) return setup;
  setup = (async () => {
    const h = await loadHarness();
    log('n8n: ensuring n8n 2.41.1 (first install takes ~4 minutes) …');
    await h.ensureN8n();
    log('n8n: installing our packed package into a new user folder …');
    const tgz = await packPackage('n8n-nodes-whatsapp-cloud');
    const userFolder = h.makeN8nUserFolder();
    folders.push(userFolder);
    await h.installCommunityPackage(userFolder, tgz);
    return { userFolder, h };
  })();
  return setup;
}

let n = 0;
export function nodeId() {
  n++;
  return `b${String(n).padStart(7, '0')}-0000-4000-8000-${String(Date.now()).slice(-12).padStart(12, '0')}`;
}
