/**
 * Shared pieces of the n8n end-to-end suites (test/e2e/n8n-*.test.ts): the packed package, node
 * builders, a logged-in REST session (activate/deactivate, executions), a collector server, and
 * the secret scan. Not a test file itself (jest only runs *.test.ts).
 */
import { createHmac } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { Agent, fetch as undiciFetch } from 'undici';
import { run } from '../../../../test/harness/processes';
import { npmEnv, REPO_ROOT } from '../../../../test/harness/runtimes';

export const PKG_DIR = path.join(REPO_ROOT, 'packages', 'n8n-nodes-whatsapp-cloud');
export const PKG = '@wa-cloud/n8n-nodes-whatsapp-cloud';
export const ACTION = `${PKG}.whatsAppCloud`;
export const TRIGGER = `${PKG}.whatsAppCloudTrigger`;

/**
 * Distinctive secret values for the sandbox and the credentials: the secret scan fails when any of
 * them shows up in what n8n prints or stores.
 */
export const SECRETS = {
  accessToken: 'EAAe2eSECRETtoken7f3a9c0d11',
  appSecret: 'e2eAPPSECRET51d0b2e8aa',
  verifyToken: 'e2eVERIFYc88e41f702',
  redisPassword: 'e2eREDISpw93b1c7',
};

/** The whatsAppCloudApi credential's data for a sandbox, with the SECRETS the scan looks for. */
export function apiCredentialData(sb: { phoneNumberId: string; wabaId: string; url: string }) {
  return {
    accessToken: SECRETS.accessToken,
    phoneNumberId: sb.phoneNumberId,
    wabaId: sb.wabaId,
    appSecret: SECRETS.appSecret,
    verifyToken: SECRETS.verifyToken,
    apiVersion: 'v25.0',
    baseUrl: sb.url,
  };
}

/** Bundles the package (always, so the test runs the current sources) and packs it; returns the .tgz path. */
export async function packPackage(): Promise<{ tgz: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-n8n-pack-'));
  await run('node', ['scripts/bundle.mjs'], { cwd: PKG_DIR });
  await run('npm', ['pack', '--pack-destination', dir], { cwd: PKG_DIR, env: npmEnv() });
  const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack produced no tarball');
  return { tgz: path.join(dir, tgz), dir };
}

let counter = 0;
/** A node id n8n accepts (uuid-shaped, unique in the file). */
export function nodeId(): string {
  counter++;
  return `${counter.toString(16).padStart(8, '0')}-${Math.random().toString(16).slice(2, 6)}-4000-8000-${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
}

export type Cred = { id: string; name: string };

export function waNode(name: string, cred: Cred, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}, position: [number, number] = [400, 0]) {
  return { id: nodeId(), name, type: ACTION, typeVersion: 1, position, parameters, credentials: { whatsAppCloudApi: cred }, ...extra };
}

export function triggerNode(name: string, cred: Cred, webhookId: string, parameters: Record<string, unknown>, extraCredentials: Record<string, Cred> = {}) {
  return {
    id: nodeId(),
    name,
    type: TRIGGER,
    typeVersion: 1,
    position: [0, 0],
    webhookId,
    parameters: { events: ['messages'], options: {}, ...parameters },
    credentials: { whatsAppCloudApi: cred, ...extraCredentials },
  };
}

export function codeNode(name: string, js: string, position: [number, number] = [200, 0], extra: Record<string, unknown> = {}) {
  return { id: nodeId(), name, type: 'n8n-nodes-base.code', typeVersion: 2, position, parameters: { jsCode: js }, ...extra };
}

/** n8n's Webhook node (POST) at /webhook/<path>. */
export function webhookNode(name: string, webhookPath: string, responseMode: 'onReceived' | 'lastNode' = 'onReceived') {
  return {
    id: nodeId(),
    name,
    type: 'n8n-nodes-base.webhook',
    typeVersion: 2,
    position: [0, 0],
    webhookId: nodeId(),
    parameters: { httpMethod: 'POST', path: webhookPath, responseMode, ...(responseMode === 'lastNode' ? { responseData: 'allEntries' } : {}), options: {} },
  };
}

/** An HTTP Request node that POSTs `{ tag, event: $json }` to the collector: one request per item. */
export function postNode(name: string, url: string, tag: string, position: [number, number] = [600, 0]) {
  return {
    id: nodeId(),
    name,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: { method: 'POST', url, sendBody: true, specifyBody: 'json', jsonBody: `={{ JSON.stringify({ tag: '${tag}', event: $json }) }}`, options: {} },
  };
}

/**
 * A Code node and an HTTP Request node that POST every item of a run in ONE request,
 * `{ tag, events: [...] }`; the collector records each event as `{ tag, event }`. For triggers that
 * may emit thousands of items at once (a fuzzed batch): n8n's HTTP Request node opens all its
 * requests together, and 20,000 of them exhaust n8n's file descriptors, after which n8n resets
 * incoming connections.
 */
export function postAllNodes(name: string, url: string, tag: string, position: [number, number] = [600, 0]) {
  const gather = codeNode(`${name} (gather)`, 'return [{ json: { events: $input.all().map((item) => item.json) } }];', [position[0] - 200, position[1]]);
  const post = {
    ...postNode(name, url, tag, position),
    parameters: { method: 'POST', url, sendBody: true, specifyBody: 'json', jsonBody: `={{ JSON.stringify({ tag: '${tag}', events: $json.events }) }}`, options: {} },
  };
  return { first: gather.name, nodes: [gather, post], connections: chain(gather.name, name) };
}

export const chain = (...names: string[]) =>
  Object.fromEntries(names.slice(0, -1).map((n, i) => [n, { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] }]));

/** A local server that records JSON POSTs and answers Meta-style GET challenges for `verifyToken`. */
export interface Collector {
  url: string;
  received: Array<Record<string, unknown>>;
  challenges: number;
  waitFor(predicate: (r: Array<Record<string, unknown>>) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCollector(verifyToken: string): Promise<Collector> {
  const received: Array<Record<string, unknown>> = [];
  const state = { challenges: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      state.challenges++;
      if (url.searchParams.get('hub.verify_token') === verifyToken) res.end(url.searchParams.get('hub.challenge') ?? '');
      else res.writeHead(403).end();
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const parsed = JSON.parse(body);
        if (Array.isArray(parsed?.events)) for (const event of parsed.events) received.push({ tag: parsed.tag, event });
        else received.push(parsed);
      } catch {
        received.push({ unparsed: body });
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  return {
    url,
    received,
    get challenges() {
      return state.challenges;
    },
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`collector: condition not met in ${timeoutMs} ms; received ${JSON.stringify(received).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/**
 * A connection per REST call. A pooled keep-alive socket can be one n8n has closed meanwhile (seen
 * in CI right after the fuzz's burst of calls), and the call then fails with "other side closed"
 * although n8n answers a new connection fine.
 */
const noKeepAlive = new Agent({ pipelining: 0 });
const restFetch: typeof undiciFetch = (input, init) => undiciFetch(input, { ...init, dispatcher: noKeepAlive });

export interface N8nOwner {
  email: string;
  firstName: string;
  lastName: string;
  password: string;
}
export const E2E_OWNER: N8nOwner = { email: 'owner@e2e.test', firstName: 'E2e', lastName: 'Owner', password: 'E2e-password-1' };

/** A logged-in session on n8n's internal REST API (the owner set up on first use). */
export class N8nRest {
  private cookie = '';
  constructor(readonly baseUrl: string) {}

  /** Sets the owner up (first call on a fresh instance) or logs in as that owner. */
  async login(owner: N8nOwner = E2E_OWNER): Promise<void> {
    let res = await restFetch(`${this.baseUrl}/rest/owner/setup`, { method: 'POST', headers: this.headers(), body: JSON.stringify(owner) });
    if (res.status >= 400) {
      await res.text();
      res = await restFetch(`${this.baseUrl}/rest/login`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }) });
    }
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
    const text = await res.text();
    if (!setCookie) throw new Error(`n8n login failed (${res.status}): ${text.slice(0, 500)}`);
    this.cookie = setCookie.split(';')[0]!;
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', 'browser-id': 'e2e-browser', ...(this.cookie ? { cookie: this.cookie } : {}) };
  }

  async request<T = any>(method: string, route: string, body?: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await restFetch(`${this.baseUrl}/rest${route}`, { method, headers: this.headers(), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`n8n ${method} /rest${route}: ${res.status} ${text.slice(0, 1000)}`);
    const json = text ? JSON.parse(text) : {};
    return (json && typeof json === 'object' && 'data' in json ? json.data : json) as T;
  }

  async activate(workflowId: string): Promise<void> {
    const wf = await this.request<{ versionId: string }>('GET', `/workflows/${workflowId}`);
    await this.request('POST', `/workflows/${workflowId}/activate`, { versionId: wf.versionId });
  }

  async deactivate(workflowId: string): Promise<void> {
    await this.request('POST', `/workflows/${workflowId}/deactivate`, {});
  }

  /** Every execution (summaries), newest first. */
  async executions(filter: Record<string, unknown> = {}): Promise<Array<{ id: string; workflowId: string; status: string; mode: string }>> {
    type Summary = { id: string; workflowId: string; status: string; mode: string };
    const out: Summary[] = [];
    let cursor: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ filter: JSON.stringify(filter), limit: '100', ...(cursor ? { cursor } : {}) });
      const page = await this.request<{ results: Summary[]; nextCursor?: string | null }>('GET', `/executions?${query}`);
      out.push(...page.results);
      if (!page.nextCursor || page.results.length === 0) return out;
      cursor = page.nextCursor;
    }
  }

  /** One execution with its full data, as n8n stores it (a serialised string in `data`). */
  async execution(id: string): Promise<Record<string, unknown>> {
    return await this.request('GET', `/executions/${id}`);
  }
}

/** The secrets (and their base64 / URL-encoded forms) found in `text`, with some context. */
export function findSecrets(text: string, secrets: string[] = Object.values(SECRETS)): string[] {
  const hits: string[] = [];
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]) {
      let at = text.indexOf(form);
      while (at >= 0 && hits.length < 20) {
        hits.push(`${secret.slice(0, 6)}… at ${at}: …${text.slice(Math.max(0, at - 80), at)}[SECRET]…`);
        at = text.indexOf(form, at + 1);
      }
    }
  }
  return hits;
}

/** Polls until `predicate` holds. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One status webhook as Meta sends it (its own POST), signed with the e2e app secret over the exact bytes. */
export function statusWebhook(sb: { phoneNumberId: string; wabaId: string }, messageId: string, status: string, recipient: string): { body: string; signature: string } {
  const value: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550001234', phone_number_id: sb.phoneNumberId },
    statuses: [
      {
        id: messageId,
        status,
        timestamp: String(Math.floor(Date.now() / 1000)),
        recipient_id: recipient,
        ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}),
      },
    ],
  };
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: sb.wabaId, changes: [{ field: 'messages', value }] }] });
  return { body, signature: `sha256=${createHmac('sha256', SECRETS.appSecret).update(body).digest('hex')}` };
}
