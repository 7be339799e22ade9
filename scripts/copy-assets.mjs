// Copies the one definition of shared assets into the packages that ship them: neither n8n nor
// Node-RED can read files outside an installed package. Run by `npm run build`.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const copies = [
  ['credentials/whatsapp-cloud-api.json', 'packages/core/src/generated/whatsapp-cloud-api.json'],
  ['icons/whatsapp-cloud.svg', 'packages/n8n-nodes-whatsapp-cloud/icons/whatsapp-cloud.svg'],
  ['icons/whatsapp-cloud.dark.svg', 'packages/n8n-nodes-whatsapp-cloud/icons/whatsapp-cloud.dark.svg'],
  ['icons/node-red-whatsapp-cloud.svg', 'packages/node-red-whatsapp-cloud/icons/whatsapp-cloud.svg'],
];
for (const [from, to] of copies) {
  const target = join(root, to);
  if (!existsSync(join(root, to.split('/').slice(0, 2).join('/'), 'package.json'))) continue; // package not created yet
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(root, from), target);
}
