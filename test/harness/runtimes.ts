/**
 * Self-installing, cached runtimes for end-to-end tests, kept in the git-ignored test/.harness/:
 *   node24/        Node 24 from the npm registry (package `node`)
 *   n8n/           n8n + its own Node 24 (install scripts skipped, then `node` and sqlite3 rebuilt)
 *   node-red-4/    node-red 4.1.x (runs on the system Node 20)
 *   node-red-5/    node-red 5.0.x (runs on the Node 24 from node24/)
 * Each folder is keyed on its generated package.json plus the install recipe: a marker file is
 * written after a successful install, and a folder whose marker differs is wiped and reinstalled.
 * A lock directory makes concurrent jest workers (or concurrent jest runs) install only once.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from './processes';

/** Repository root (this file lives in <root>/test/harness/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Cache folder; E2E_HARNESS_DIR overrides it (e.g. to test a fresh install). */
export const HARNESS_DIR = process.env.E2E_HARNESS_DIR
  ? path.resolve(process.env.E2E_HARNESS_DIR)
  : path.join(REPO_ROOT, 'test', '.harness');

/** Exact versions (the registry mirror is incomplete: these are known to resolve completely). */
export const VERSIONS = {
  node24: '24.21.0',
  n8n: '2.41.1',
  nodeRed4: '4.1.15',
  nodeRed5: '5.0.7',
} as const;

/** Bump when an install recipe below changes, to invalidate existing caches. */
const RECIPE_VERSION = 1;

const MARKER = '.harness-installed';
const LOCK_TIMEOUT_MS = 30 * 60_000;
/** A lock older than this whose owner cannot be checked is considered abandoned. */
const LOCK_STALE_MS = 30 * 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function log(msg: string): void {
  if (process.env.E2E_HARNESS_QUIET) return;
  process.stderr.write(`[harness] ${msg}\n`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding the lock directory `lockDir` (atomic mkdir). Waits for other holders;
 * a lock whose owner process is gone (same host) or that is older than 30 minutes is broken.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = LOCK_TIMEOUT_MS): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const ownerFile = path.join(lockDir, 'owner.json');
  const start = Date.now();
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: os.hostname(), since: Date.now() }));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    // Someone holds it: is it abandoned?
    let stale = false;
    try {
      const owner = JSON.parse(fs.readFileSync(ownerFile, 'utf8')) as { pid: number; host: string; since: number };
      if (owner.host === os.hostname() && !pidAlive(owner.pid)) stale = true;
      if (Date.now() - owner.since > LOCK_STALE_MS) stale = true;
    } catch {
      // owner file not written yet (or unreadable): judge by the directory's age
      try {
        if (Date.now() - fs.statSync(lockDir).mtimeMs > 60_000) stale = true;
      } catch {
        /* lock vanished: retry at once */
        continue;
      }
    }
    if (stale) {
      log(`breaking abandoned lock ${lockDir}`);
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for lock ${lockDir}`);
    if (!announced) {
      log(`waiting for another process installing (${lockDir})`);
      announced = true;
    }
    await sleep(1000);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Environment for npm commands run by the harness. */
export function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
    ...extra,
  };
  // When jest runs under `npm test`, npm exports its own settings (npm_config_*), which would leak
  // into the nested installs: the harness folders must install as a standalone project.
  for (const k of ['npm_config_global', 'npm_config_prefix', 'npm_config_workspace', 'npm_config_workspaces', 'npm_config_include_workspace_root', 'npm_config_save', 'npm_config_omit', 'npm_config_production']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

interface InstallSpec {
  /** Folder name under HARNESS_DIR. */
  name: string;
  packageJson: object;
  /** Run inside the folder after package.json was written (the folder has no node_modules yet). */
  install: (dir: string) => Promise<void>;
}

const ensured = new Map<string, Promise<string>>();

/** Installs `spec` into HARNESS_DIR/<name> unless an identical install is already there. */
function ensureInstalled(spec: InstallSpec): Promise<string> {
  let p = ensured.get(spec.name);
  if (!p) {
    p = doEnsureInstalled(spec);
    ensured.set(spec.name, p);
    p.catch(() => ensured.delete(spec.name));
  }
  return p;
}

async function doEnsureInstalled(spec: InstallSpec): Promise<string> {
  const dir = path.join(HARNESS_DIR, spec.name);
  const pkgText = JSON.stringify(spec.packageJson, null, 2) + '\n';
  const key = JSON.stringify({ recipe: RECIPE_VERSION, packageJson: spec.packageJson });
  const markerPath = path.join(dir, MARKER);
  const upToDate = () => {
    try {
      return fs.readFileSync(markerPath, 'utf8') === key;
    } catch {
      return false;
    }
  };
  if (upToDate()) return dir;
  return withLock(path.join(HARNESS_DIR, `${spec.name}.lock`), async () => {
    if (upToDate()) return dir; // another worker finished it while we waited
    log(`installing ${spec.name} into ${dir} (first run: this takes a while)`);
    const t0 = Date.now();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), pkgText);
    await spec.install(dir);
    fs.writeFileSync(markerPath, key);
    log(`installed ${spec.name} in ${Math.round((Date.now() - t0) / 1000)} s`);
    return dir;
  });
}

async function npm(dir: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const t0 = Date.now();
  const res = await run('npm', args, {
    cwd: dir,
    env: opts.env ?? npmEnv(),
    timeoutMs: opts.timeoutMs ?? 20 * 60_000,
    name: `npm ${args.join(' ')} (in ${dir})`,
  });
  log(`npm ${args.join(' ')}: ${Math.round((Date.now() - t0) / 1000)} s`);
  return res;
}

/**
 * Node 24's folder layout inside a harness folder after `npm install node@24`: returns the real
 * binary and, when the package ships them, the headers (for node-gyp builds against Node 24).
 */
function locateNode(dir: string): { bin: string; binDir: string; nodedir?: string } {
  const link = path.join(dir, 'node_modules', '.bin', 'node');
  if (!fs.existsSync(link)) throw new Error(`no Node binary at ${link}`);
  // `npm rebuild node` hard-links node_modules/node/bin/node to the platform package
  // (node_modules/node/node_modules/node-<os>-<arch>/), which also has include/node/*.h.
  const prefixes = [path.dirname(path.dirname(fs.realpathSync(link)))];
  const nodePkgModules = path.join(dir, 'node_modules', 'node', 'node_modules');
  for (const name of fs.existsSync(nodePkgModules) ? fs.readdirSync(nodePkgModules) : []) {
    if (name.startsWith(`node-${process.platform}-`)) prefixes.push(path.join(nodePkgModules, name));
  }
  const nodedir = prefixes.find((p) => fs.existsSync(path.join(p, 'include', 'node', 'node.h')));
  return { bin: link, binDir: path.dirname(link), nodedir };
}

/** Checks that `bin` runs and reports the expected major version. */
async function checkNode(bin: string, major: number): Promise<void> {
  const { stdout } = await run(bin, ['--version'], { timeoutMs: 30_000 });
  if (!stdout.trim().startsWith(`v${major}.`)) throw new Error(`${bin} is ${stdout.trim()}, expected Node ${major}`);
}

/** Path to a Node 24 binary (test/.harness/node24/node_modules/.bin/node). */
export async function ensureNode24(): Promise<string> {
  const dir = await ensureInstalled({
    name: 'node24',
    packageJson: { private: true, devDependencies: { node: VERSIONS.node24 } },
    install: async (d) => {
      await npm(d, ['install', '--ignore-scripts']);
      await npm(d, ['rebuild', 'node']);
      await checkNode(locateNode(d).bin, 24);
    },
  });
  return locateNode(dir).bin;
}

export interface N8nRuntime {
  /** Node 24 binary to run n8n with. */
  nodeBin: string;
  /** n8n's CLI entry (run it as `<nodeBin> <n8nBin> <command>`). */
  n8nBin: string;
  /** The harness folder (has node_modules/n8n). */
  dir: string;
}

/** n8n 2.41.1 with its own Node 24 in test/.harness/n8n/ (first install: a few minutes, ~3 GB). */
export async function ensureN8n(): Promise<N8nRuntime> {
  const dir = await ensureInstalled({
    name: 'n8n',
    packageJson: { private: true, devDependencies: { node: VERSIONS.node24, n8n: VERSIONS.n8n } },
    install: async (d) => {
      // A plain install fails here (kafka's install script downloads); skip scripts, then rebuild
      // the two packages that need theirs.
      await npm(d, ['install', '--ignore-scripts']);
      await npm(d, ['rebuild', 'node']);
      const node = locateNode(d);
      await checkNode(node.bin, 24);
      // sqlite3 builds from its bundled source against Node 24 (its prebuilt download is
      // unreachable). nodedir: the user config may point node-gyp at the system Node 20 headers.
      await npm(d, ['rebuild', 'sqlite3'], {
        env: npmEnv({
          PATH: `${node.binDir}${path.delimiter}${process.env.PATH ?? ''}`,
          ...(node.nodedir ? { npm_config_nodedir: node.nodedir } : {}),
        }),
        timeoutMs: 20 * 60_000,
      });
      await run(node.bin, ['-e', "require('sqlite3'); require('n8n/package.json')"], {
        cwd: d,
        timeoutMs: 60_000,
        name: 'check sqlite3 loads on Node 24',
      });
    },
  });
  const node = locateNode(dir);
  return { nodeBin: node.bin, n8nBin: path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'), dir };
}

export interface NodeRedRuntime {
  major: 4 | 5;
  /** Node binary to run it with: the system Node 20 for 4, Node 24 for 5. */
  nodeBin: string;
  /** node_modules/node-red/red.js */
  redJs: string;
  /** The harness folder (has node_modules/node-red). */
  dir: string;
  version: string;
}

/** node-red 4.1.x (Node 20) or 5.0.x (Node 24) in test/.harness/node-red-<major>/. */
export async function ensureNodeRed(major: 4 | 5): Promise<NodeRedRuntime> {
  const version = major === 4 ? VERSIONS.nodeRed4 : VERSIONS.nodeRed5;
  const nodeBin = major === 4 ? systemNode() : await ensureNode24();
  const dir = await ensureInstalled({
    name: `node-red-${major}`,
    packageJson: { private: true, dependencies: { 'node-red': version } },
    install: async (d) => {
      // Installed with Node <major's runtime> first on PATH, so install scripts (if any) build for it.
      await npm(d, ['install'], {
        env: npmEnv({ PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` }),
      });
    },
  });
  return { major, nodeBin, redJs: path.join(dir, 'node_modules', 'node-red', 'red.js'), dir, version };
}

/** The Node 20 the tests themselves run on. */
export function systemNode(): string {
  return process.execPath;
}
