// The e2e harness (test/harness/*.ts: install, start and stop real n8n and Node-RED) compiled
// with esbuild into one CommonJS file, so the plain-.mjs bench can use it without a TS runner.
// It lands in test/.harness/ (git-ignored) because runtimes.ts finds the repository as
// `__dirname/../..`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, require } from './common.mjs';

let harness;

export async function loadHarness() {
  if (harness) return harness;
  const esbuild = require(require.resolve('esbuild', { paths: [REPO_ROOT] }));
  const outDir = path.join(REPO_ROOT, 'test', '.harness');
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `bench-harness.${process.pid}.cjs`);
  await esbuild.build({
    stdin: {
      contents: ['runtimes', 'n8n', 'node-red', 'processes', 'ports'].map((m) => `export * from './${m}';`).join('\n'),
      resolveDir: path.join(REPO_ROOT, 'test', 'harness'),
      sourcefile: 'bench-harness-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile: out,
    logLevel: 'error',
  });
  try {
    harness = require(out);
  } finally {
    fs.rmSync(out, { force: true });
  }
  return harness;
}
