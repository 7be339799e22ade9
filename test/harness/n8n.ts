/** Real n8n 2.41.1 (on Node 24) for end-to-end tests: server, worker, webhook and one-shot CLI. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getFreePort, getFreePorts } from './ports';
import { ManagedProcess, run, RunResult, spawnManaged, tail } from './processes';
import { START_POSTGRES } from './prerequisites';
import { ensureN8n, N8nRuntime, npmEnv } from './runtimes';

/** Prefixes of inherited variables that would change n8n's behaviour: the harness owns them. */
const N8N_ENV_PREFIXES = ['N8N_', 'DB_', 'QUEUE_', 'EXECUTIONS_', 'GENERIC_', 'WEBHOOK_URL', 'OFFLOAD_', 'CREDENTIALS_'];

/**
 * The quiet, local-only environment for an n8n process (no outbound traffic). Inherited n8n
 * settings are dropped, and NODE_ENV too: jest sets NODE_ENV=test, which n8n reads as "running
 * inside n8n's own test suite" and changes behaviour.
 */
export function n8nEnv(userFolder: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_ENV' || k === 'NODE_OPTIONS' || N8N_ENV_PREFIXES.some((p) => k.startsWith(p))) continue;
    env[k] = v;
  }
  return {
    ...env,
    N8N_USER_FOLDER: userFolder,
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_DISABLED_MODULES: 'mcp-registry',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_HIRING_BANNER_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    ...extra,
  };
}

/** A fresh, empty n8n user folder in the OS temp dir. */
export function makeN8nUserFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-'));
}

// ---------------------------------------------------------------------------------------------
// Queue mode (Postgres + Redis)

export interface QueueOptions {
  /** Default: DATABASE_URL or postgres://postgres@127.0.0.1:5432/test (trust auth; `root` works too). */
  databaseUrl?: string;
  /** Default: REDIS_URL or redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Postgres schema for this n8n instance (created if missing). Default: a fresh unique one. */
  schema?: string;
  /** Bull key prefix in Redis. Default: a fresh unique one. */
  prefix?: string;
}

export interface QueueSetup {
  /** Env for `n8n start`, `n8n worker`, `n8n webhook` and the CLI helpers (pass as `env`). */
  env: NodeJS.ProcessEnv;
  schema: string;
  prefix: string;
  /** Drops the schema (and its tables). */
  cleanup(): Promise<void>;
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

async function withPg<T>(databaseUrl: string, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const { dir } = await ensureN8n();
  // `pg` comes with n8n (pure JS), so the repository needs no database dependency of its own.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require(require.resolve('pg', { paths: [path.join(dir, 'node_modules', 'n8n')] })) as {
    Client: new (o: { connectionString: string }) => PgClient;
  };
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    const where = new URL(databaseUrl);
    throw new Error(`PostgreSQL is not reachable at ${where.host}${where.pathname} (${(error as Error).message}): start it with: ${START_POSTGRES}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Environment for queue mode: Postgres (own schema per call, so parallel tests do not meet) and
 * Redis (own Bull prefix). Use the returned env for every process of the same n8n instance and
 * share one userFolder (it holds the encryption key).
 */
export async function prepareQueueMode(opts: QueueOptions = {}): Promise<QueueSetup> {
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = new URL(opts.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const unique = `${Date.now().toString(36)}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const schema = opts.schema ?? `e2e_n8n_${unique}`;
  const prefix = opts.prefix ?? `e2e-bull-${unique}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  await withPg(databaseUrl, (c) => c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`));
  const db = new URL(databaseUrl);
  const env: NodeJS.ProcessEnv = {
    EXECUTIONS_MODE: 'queue',
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: db.hostname || '127.0.0.1',
    DB_POSTGRESDB_PORT: db.port || '5432',
    DB_POSTGRESDB_DATABASE: decodeURIComponent(db.pathname.replace(/^\//, '')) || 'test',
    DB_POSTGRESDB_USER: decodeURIComponent(db.username) || 'postgres',
    DB_POSTGRESDB_PASSWORD: decodeURIComponent(db.password),
    DB_POSTGRESDB_SCHEMA: schema,
    // n8n's default pool of 2 connections saturates in the webhook process under a campaign's
    // status webhooks (~40/s): its health ping times out and it answers every webhook 503 "Database
    // is not ready" for half a minute (seen with and without our nodes). Production queue mode
    // wants a larger pool too (README: Scaling out).
    DB_POSTGRESDB_POOL_SIZE: '10',
    QUEUE_BULL_REDIS_HOST: redisUrl.hostname || '127.0.0.1',
    QUEUE_BULL_REDIS_PORT: redisUrl.port || '6379',
    QUEUE_BULL_PREFIX: prefix,
    OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
  };
  return {
    env,
    schema,
    prefix,
    cleanup: () => withPg(databaseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).then(() => undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// Long-running processes

export type N8nCommand = 'start' | 'worker' | 'webhook';

export interface StartN8nOptions {
  /** Default: a fresh temp folder. */
  userFolder?: string;
  /** N8N_PORT; default: a free port. */
  port?: number;
  /** Extra environment (wins over the harness defaults), e.g. `prepareQueueMode().env`. */
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  /** Which n8n process to run (default `start`). */
  command?: N8nCommand;
  /** Default 120 s. */
  readyTimeoutMs?: number;
}

export interface N8nInstance {
  /** http://127.0.0.1:<port> (for `worker`: its health server). */
  url: string;
  port: number;
  userFolder: string;
  /** The full environment the process got (reuse it for CLI helpers against the same instance). */
  env: NodeJS.ProcessEnv;
  runtime: N8nRuntime;
  process: ManagedProcess;
  logs(): string;
  stop(): Promise<void>;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts `n8n start` (or `worker` / `webhook`) on free ports and waits until it is ready. */
export async function startN8n(opts: StartN8nOptions = {}): Promise<N8nInstance> {
  const runtime = await ensureN8n();
  const command = opts.command ?? 'start';
  const userFolder = opts.userFolder ?? makeN8nUserFolder();
  fs.mkdirSync(userFolder, { recursive: true });
  const [freePort, brokerPort] = await getFreePorts(2);
  const port = opts.port ?? freePort;
  const env = n8nEnv(userFolder, {
    N8N_PORT: String(port),
    N8N_RUNNERS_BROKER_PORT: String(brokerPort),
    // a worker only serves HTTP (health) when asked to
    ...(command === 'worker' ? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port) } : {}),
    ...opts.env,
  });
  const proc = spawnManaged({
    name: `n8n ${command}`,
    command: runtime.nodeBin,
    args: [runtime.n8nBin, command, ...(opts.extraArgs ?? [])],
    cwd: userFolder,
    env,
  });
  const url = `http://127.0.0.1:${port}`;
  const instance: N8nInstance = { url, port, userFolder, env, runtime, process: proc, logs: proc.logs, stop: () => proc.stop() };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 120_000);
  try {
    if (command === 'worker') {
      await proc.waitForLog('n8n worker is now ready', Math.max(1, deadline - Date.now()));
    } else {
      for (;;) {
        if (proc.hasExited()) throw new Error(`n8n ${command} exited during start-up. Logs:\n${tail(proc.logs())}`);
        if (await httpOk(`${url}/healthz/readiness`)) break;
        if (Date.now() > deadline) throw new Error(`n8n ${command} not ready at ${url}. Logs:\n${tail(proc.logs())}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } catch (e) {
    await proc.stop(2000);
    throw e;
  }
  return instance;
}

// ---------------------------------------------------------------------------------------------
// One-shot CLI commands (run against the same user folder / database as the server)

export interface N8nCliOptions {
  /** Extra env, e.g. prepareQueueMode().env, so the CLI uses the same database. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Throw on a non-zero exit code (default true). */
  check?: boolean;
}

/** Runs `n8n <args>` once with the harness environment. */
export async function runN8nCli(userFolder: string, args: string[], opts: N8nCliOptions = {}): Promise<RunResult> {
  const runtime = await ensureN8n();
  fs.mkdirSync(userFolder, { recursive: true });
  const brokerPort = await getFreePort();
  const port = await getFreePort();
  return run(runtime.nodeBin, [runtime.n8nBin, ...args], {
    cwd: userFolder,
    env: n8nEnv(userFolder, { N8N_PORT: String(port), N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...opts.env }),
    timeoutMs: opts.timeoutMs ?? 180_000,
    check: opts.check,
    name: `n8n ${args.join(' ')}`,
  });
}

/** n8n's workflow ids: 16 characters [0-9a-zA-Z]. */
export function newN8nId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let id = '';
  for (let i = 0; i < 16; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

function writeTempJson(userFolder: string, prefix: string, data: unknown): string {
  const dir = path.join(userFolder, 'e2e-imports');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/**
 * `n8n import:workflow`. Accepts a workflow object (an `id` is added when missing) or a path to a
 * JSON file. Returns the workflow id. Import before `startN8n` (a running server does not reload).
 */
export async function importWorkflow(
  userFolder: string,
  workflow: Record<string, unknown> | string,
  opts: N8nCliOptions & { activeState?: 'false' | 'fromJson' } = {},
): Promise<string> {
  const data: Record<string, unknown> = typeof workflow === 'string' ? JSON.parse(fs.readFileSync(workflow, 'utf8')) : workflow;
  const [id] = await importWorkflows(userFolder, [data], opts);
  return id!;
}

/** Several workflows in ONE `n8n import:workflow` (each CLI call boots n8n: seconds). Returns the ids. */
export async function importWorkflows(
  userFolder: string,
  workflows: Array<Record<string, unknown>>,
  opts: N8nCliOptions & { activeState?: 'false' | 'fromJson' } = {},
): Promise<string[]> {
  const all = workflows.map((workflow) => {
    const data = { ...workflow };
    if (!data.id) data.id = newN8nId();
    if (!data.name) data.name = `e2e ${data.id}`;
    if (!data.connections) data.connections = {};
    if (!data.settings) data.settings = {};
    return data;
  });
  const file = writeTempJson(userFolder, 'workflow', all);
  const args = ['import:workflow', `--input=${file}`];
  if (opts.activeState) args.push(`--activeState=${opts.activeState}`);
  await runN8nCli(userFolder, args, opts);
  return all.map((data) => String(data.id));
}

/** `n8n publish:workflow --id=<id>`: activates the workflow's current version (triggers/webhooks). */
export async function publishWorkflow(userFolder: string, id: string, opts: N8nCliOptions = {}): Promise<void> {
  await runN8nCli(userFolder, ['publish:workflow', `--id=${id}`], opts);
}

export interface N8nCredential {
  /** Default: a fresh id. */
  id?: string;
  name: string;
  /** Credential type name, e.g. `httpHeaderAuth` (credential types of community packages have no package prefix). */
  type: string;
  /** Plain (decrypted) data: n8n 2.41.1's import:credentials encrypts object `data` itself. */
  data: Record<string, unknown>;
}

/**
 * `n8n import:credentials`. n8n 2.41.1 has no `--decrypted` flag: when `data` is an object it is
 * encrypted with the instance key on import; a string is taken as already encrypted. Returns the ids.
 */
export async function importCredentials(userFolder: string, credentials: N8nCredential[], opts: N8nCliOptions = {}): Promise<string[]> {
  const withIds = credentials.map((c) => ({ ...c, id: c.id ?? newN8nId() }));
  const file = writeTempJson(userFolder, 'credentials', withIds);
  await runN8nCli(userFolder, ['import:credentials', `--input=${file}`], opts);
  return withIds.map((c) => c.id);
}

/** `n8n export:credentials --all --decrypted`: the stored credentials with plain `data`. */
export async function exportCredentials(userFolder: string, opts: N8nCliOptions = {}): Promise<N8nCredential[]> {
  const file = path.join(userFolder, 'e2e-imports', `export-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await runN8nCli(userFolder, ['export:credentials', '--all', '--decrypted', `--output=${file}`], opts);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as N8nCredential[];
}

export interface ExecuteResult {
  /** 0 on success, 1 when a node failed. */
  code: number | string;
  /** The run data n8n printed (IRun), or undefined if none could be parsed. */
  result: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  output: string;
}

/** Parses the pretty-printed JSON that starts at the first line beginning with `{`. */
export function parseN8nJsonOutput(output: string): unknown {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith('{'));
  if (start < 0) return undefined;
  for (let end = start; end < lines.length; end++) {
    if (!lines[end].startsWith('}')) continue;
    try {
      return JSON.parse(lines.slice(start, end + 1).join('\n'));
    } catch {
      /* not the closing brace yet */
    }
  }
  return undefined;
}

/**
 * `n8n execute --id=<id> --rawOutput` (one-shot, no server). Never throws on exit code 1.
 *
 * With n8n's legacy expression engine: on some machines n8n 2.41.1's one-shot `execute` on Node
 * 24.21 dies with SIGSEGV after printing a successful run (a V8 scavenge in isolated-vm's thread,
 * the default 'vm' engine; reproduced with a Manual Trigger -> Set workflow and no community node;
 * `N8N_EXPRESSION_ENGINE=legacy` exits 0). The servers the other tests start keep the default
 * engine, so our expressions are proven under it there. `opts.env` may set the engine back.
 */
export async function executeWorkflow(userFolder: string, id: string, opts: N8nCliOptions = {}): Promise<ExecuteResult> {
  const env = { N8N_EXPRESSION_ENGINE: 'legacy', ...opts.env };
  const res = await runN8nCli(userFolder, ['execute', `--id=${id}`, '--rawOutput'], { check: false, ...opts, env });
  return { code: res.code, result: parseN8nJsonOutput(res.stdout) ?? parseN8nJsonOutput(res.output), output: res.output };
}

/** Output items (json) of a node in an `executeWorkflow` result: result.data.resultData.runData[node][run].data.main[output]. */
export function nodeOutput(result: any, nodeName: string, run = 0, output = 0): Record<string, unknown>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const items = result?.data?.resultData?.runData?.[nodeName]?.[run]?.data?.main?.[output] ?? [];
  return items.map((i: { json: Record<string, unknown> }) => i.json);
}

/**
 * Installs a community package exactly like a user install: into <userFolder>/.n8n/nodes with
 * `npm install --omit=peer`. Node types are then `<package name>.<node name>`. Do it before start.
 */
export async function installCommunityPackage(userFolder: string, tgzOrDir: string): Promise<void> {
  const nodesDir = path.join(userFolder, '.n8n', 'nodes');
  fs.mkdirSync(nodesDir, { recursive: true });
  const pkgJson = path.join(nodesDir, 'package.json');
  if (!fs.existsSync(pkgJson)) {
    fs.writeFileSync(pkgJson, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2));
  }
  const spec = path.resolve(tgzOrDir);
  // --no-audit/--no-fund/--prefer-offline: a local tarball without dependencies needs no registry
  // round trips (the audit alone took 3 s of a 5 s install).
  await run('npm', ['install', '--omit=peer', '--install-links', '--no-audit', '--no-fund', '--prefer-offline', spec], {
    cwd: nodesDir,
    env: npmEnv(),
    timeoutMs: 5 * 60_000,
    name: `npm install ${spec} (n8n nodes folder)`,
  });
}
