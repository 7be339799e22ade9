// Bench-only tools (autocannon) live in a git-ignored folder with their own package.json and are
// installed on first use, under a lock directory so two concurrent runs install once.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { log, require, sleep, TOOLS_DIR } from './common.mjs';

const PACKAGE = { private: true, description: 'bench-only tools (git-ignored); written by bench/lib/tools.mjs', devDependencies: { autocannon: '8.0.0' } };
const MARKER = path.join(TOOLS_DIR, '.bench-tools-installed');

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

async function withLock(lockDir, fn) {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, host: os.hostname(), since: Date.now() }));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let stale = false;
    try {
      const owner = JSON.parse(fs.readFileSync(path.join(lockDir, 'owner.json'), 'utf8'));
      stale = (owner.host === os.hostname() && !pidAlive(owner.pid)) || Date.now() - owner.since > 10 * 60_000;
    } catch {
      try {
        stale = Date.now() - fs.statSync(lockDir).mtimeMs > 60_000;
      } catch {
        continue;
      }
    }
    if (stale) fs.rmSync(lockDir, { recursive: true, force: true });
    else if (Date.now() - start > 15 * 60_000) throw new Error(`timed out waiting for ${lockDir}`);
    else await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Installs the bench tools once; later calls read the marker and return at once. */
export async function ensureBenchTools() {
  const wanted = JSON.stringify(PACKAGE);
  const done = () => fs.existsSync(MARKER) && fs.readFileSync(MARKER, 'utf8') === wanted;
  if (done()) return TOOLS_DIR;
  await withLock(`${TOOLS_DIR}.lock`, async () => {
    if (done()) return;
    log('installing bench tools (autocannon) into test/.harness/bench-tools …');
    fs.rmSync(TOOLS_DIR, { recursive: true, force: true });
    fs.mkdirSync(TOOLS_DIR, { recursive: true });
    fs.writeFileSync(path.join(TOOLS_DIR, 'package.json'), JSON.stringify(PACKAGE, null, 2) + '\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_') && !k.startsWith('npm_package_')));
    const res = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--ignore-scripts'], { cwd: TOOLS_DIR, env: { ...env, npm_config_yes: 'true' }, encoding: 'utf8', timeout: 10 * 60_000 });
    if (res.status !== 0) throw new Error(`npm install in ${TOOLS_DIR} failed:\n${res.stdout}\n${res.stderr}`);
    fs.writeFileSync(MARKER, wanted);
  });
  return TOOLS_DIR;
}

export async function autocannon() {
  const dir = await ensureBenchTools();
  return require(require.resolve('autocannon', { paths: [dir] }));
}
