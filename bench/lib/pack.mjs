// `npm pack` of a workspace package into a temp dir (the built dist must exist: the bench builds first).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './common.mjs';
import { loadHarness } from './harness.mjs';

const tmpDirs = [];
process.on('exit', () => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(dir);
  return dir;
}

export async function packPackage(name) {
  const { run, npmEnv } = await loadHarness();
  const dir = path.join(REPO_ROOT, 'packages', name);
  const dest = tempDir(`bench-pack-${name}-`);
  await run('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: dir, env: npmEnv(), timeoutMs: 120_000 });
  const tgz = fs.readdirSync(dest).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack of ${name} produced no tarball`);
  return path.join(dest, tgz);
}
