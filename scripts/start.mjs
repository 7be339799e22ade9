// `npm start`: the Node-RED demo (scripts/start-node-red.mjs). `npm start -- --n8n` (or
// `npm run start:n8n`): the n8n demo (scripts/start-n8n.ts). Both run the packed package in the real
// runtime against the sandbox, or against Meta with the WA_* variables.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv.includes('--n8n')) {
  // The n8n demo reuses the TypeScript test harness (which installs and runs the real n8n): bundle it.
  const outfile = join(root, 'node_modules', '.cache', 'wa-cloud', 'start-n8n.cjs');
  await build({ entryPoints: [join(root, 'scripts', 'start-n8n.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error' });
  process.env.WA_REPO_ROOT = root;
  // The runtime cache the tests use (the bundle's own location says nothing about the repository).
  process.env.E2E_HARNESS_DIR ??= join(root, 'test', '.harness');
  createRequire(import.meta.url)(outfile);
} else {
  await import('./start-node-red.mjs');
}
