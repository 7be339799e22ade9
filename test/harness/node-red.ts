/** Real Node-RED (4.x on the system Node 20, 5.x on Node 24) for end-to-end tests. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getFreePort } from './ports';
import { ManagedProcess, run, spawnManaged, tail } from './processes';
import { ensureNodeRed, npmEnv, NodeRedRuntime } from './runtimes';

export interface StartNodeRedOptions {
  major: 4 | 5;
  /** Node-RED user dir; a fresh temp dir when omitted. */
  userDir?: string;
  /** The flow configuration (array of nodes), written to flows.json. */
  flows: unknown[];
  /** Credentials keyed by node id; written encrypted with the credentialSecret, like a deploy does. */
  credentials?: Record<string, Record<string, unknown>>;
  /**
   * Merged over the harness settings (shallow). Functions are allowed (e.g. httpNodeMiddleware):
   * they are written to settings.js with Function.prototype.toString, so they must be self-contained.
   */
  settingsOverrides?: Record<string, unknown>;
  /** Package folders or .tgz files installed into the userDir with `npm install` before start. */
  packages?: string[];
  /** Extra environment for the Node-RED process (flows may use ${ENV} substitutions). */
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface NodeRedInstance {
  /** Base URL of the HTTP-in routes (httpNodeRoot), without trailing slash. */
  url: string;
  /** Base URL of the admin API (httpAdminRoot), without trailing slash. */
  adminUrl: string;
  port: number;
  userDir: string;
  runtime: NodeRedRuntime;
  process: ManagedProcess;
  logs(): string;
  stop(): Promise<void>;
}

export const NODE_RED_CREDENTIAL_SECRET = 'e2e-harness-credential-secret';

/** Serialises settings to JS source; functions keep their source text. */
function toJs(value: unknown, indent = ''): string {
  if (typeof value === 'function') return value.toString();
  if (Array.isArray(value)) {
    return '[' + value.map((v) => toJs(v, indent + '  ')).join(', ') + ']';
  }
  if (value && typeof value === 'object' && !(value instanceof RegExp)) {
    const inner = indent + '  ';
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJs(v, inner)}`);
    return entries.length ? `{\n${entries.join(',\n')}\n${indent}}` : '{}';
  }
  if (value instanceof RegExp) return value.toString();
  return JSON.stringify(value);
}

/** Encrypts credentials exactly as Node-RED stores them (aes-256-ctr, key = sha256(secret)). */
export function encryptNodeRedCredentials(credentials: object, secret = NODE_RED_CREDENTIAL_SECRET): { $: string } {
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = crypto.randomBytes(16);
  const cipher = crypto.createCipheriv('aes-256-ctr', key, iv);
  return { $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64') };
}

/** Installs packages (folders or .tgz) into a Node-RED user dir, as a user install would. */
export async function installNodeRedPackages(userDir: string, packages: string[], nodeBin?: string, options: { major?: 4 | 5 } = {}): Promise<void> {
  if (!packages.length) return;
  fs.mkdirSync(userDir, { recursive: true });
  const pkgJson = path.join(userDir, 'package.json');
  if (!fs.existsSync(pkgJson)) {
    fs.writeFileSync(pkgJson, JSON.stringify({ name: 'node-red-project', private: true, dependencies: {} }, null, 2));
  }
  // --install-links: a folder is packed and copied like a tarball, not symlinked into the repo.
  const specs = packages.map((p) => path.resolve(p));
  // Node-RED 5 (Node 24) has node:sqlite built in: the optional SQLite driver (libsql, for Node 20)
  // is left out there. On Node-RED 4 npm installs it as a user's install does: a prebuilt binary
  // from the registry, no script and no compiling.
  const flags = options.major === 5 ? ['--omit=optional'] : [];
  await run('npm', ['install', '--install-links', '--omit=dev', ...flags, ...specs], {
    cwd: userDir,
    env: npmEnv(nodeBin ? { PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` } : {}),
    timeoutMs: 5 * 60_000,
    name: `npm install ${specs.join(' ')} (Node-RED userDir)`,
  });
}

export async function startNodeRed(opts: StartNodeRedOptions): Promise<NodeRedInstance> {
  const runtime = await ensureNodeRed(opts.major);
  const userDir = opts.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `e2e-node-red-${opts.major}-`));
  fs.mkdirSync(userDir, { recursive: true });
  await installNodeRedPackages(userDir, opts.packages ?? [], runtime.nodeBin, { major: opts.major });

  const port = opts.port ?? (await getFreePort());
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(opts.flows, null, 2));
  const credFile = path.join(userDir, 'flows_cred.json');
  if (opts.credentials) {
    fs.writeFileSync(credFile, JSON.stringify(encryptNodeRedCredentials(opts.credentials)));
  }

  const settings: Record<string, unknown> = {
    uiHost: '127.0.0.1',
    uiPort: port,
    userDir,
    flowFile: 'flows.json',
    credentialSecret: NODE_RED_CREDENTIAL_SECRET,
    flowFilePretty: true,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false, allowUpdate: false, allowUpload: false } },
    functionExternalModules: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    ...opts.settingsOverrides,
  };
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `// written by test/harness/node-red.ts\nmodule.exports = ${toJs(settings)};\n`);

  const proc = spawnManaged({
    name: `node-red ${runtime.version}`,
    command: runtime.nodeBin,
    args: [runtime.redJs, '--settings', settingsFile, '--userDir', userDir],
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false', ...opts.env },
  });
  const root = (p: unknown) => String(p ?? '/').replace(/\/+$/, '');
  const base = `http://127.0.0.1:${port}`;
  const instance: NodeRedInstance = {
    url: base + root(settings.httpNodeRoot),
    adminUrl: base + root(settings.httpAdminRoot),
    port,
    userDir,
    runtime,
    process: proc,
    logs: proc.logs,
    stop: () => proc.stop(),
  };
  try {
    const timeout = opts.startTimeoutMs ?? 60_000;
    await proc.waitForLog(/Server now running at/, timeout);
    await proc.waitForLog(/Started flows/, timeout);
  } catch (e) {
    await proc.stop(2000);
    throw e;
  }
  return instance;
}

/** Deploys new flows through the admin API (full deploy); resolves when Node-RED answered. */
export async function deployNodeRedFlows(instance: NodeRedInstance, flows: unknown[]): Promise<void> {
  const res = await fetch(`${instance.adminUrl}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
    body: JSON.stringify(flows),
  });
  if (!res.ok) throw new Error(`deploy failed: ${res.status} ${await res.text()}\n${tail(instance.logs())}`);
}
