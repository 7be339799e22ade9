/**
 * `npm start -- --n8n`, run as a user runs it (on free ports) and driven from the outside:
 * - the banner gives the editor URL, a login, the chat page URL and a curl for the CRM example;
 * - the editor answers, and the printed login works on n8n's own login endpoint;
 * - the printed curl (sent as printed) delivers the order_update template to the chat page;
 * - a reply typed on the chat page (the page's own endpoint) is answered by the reply workflow;
 * - Ctrl-C (SIGINT) stops n8n and the sandbox: the ports are free again and the temp folder is gone.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as net from 'net';
import { getFreePorts } from '../harness/ports';
import { spawn, type ChildProcess } from 'child_process';
import { ensureN8n, npmEnv, REPO_ROOT } from '../harness/runtimes';

const d = process.env.SKIP_E2E ? describe.skip : describe;

/**
 * Not the harness's spawnManaged: that one SIGKILLs the whole process group as soon as its leader
 * exits, and npm (the leader) exits on Ctrl-C before the demo has finished stopping n8n.
 */
let demo: ChildProcess;
let output = '';
let n8nPort: number;
let sandboxPort: number;
let banner = '';

/** The chat page's data (what it renders): one conversation per user. */
async function chat(sandboxUrl: string): Promise<Array<{ waId: string; items: Array<{ dir: string; view: { label: string; text: string } }> }>> {
  const res = await fetch(`${sandboxUrl}/_sandbox/state`);
  return ((await res.json()) as { conversations: never[] }).conversations;
}

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; demo output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

d('npm start -- --n8n', () => {
  beforeAll(async () => {
    await ensureN8n(); // the first install is not part of the demo's start-up time
    [n8nPort, sandboxPort] = await getFreePorts(2);
    demo = spawn('npm', ['start', '--', '--n8n'], {
      cwd: REPO_ROOT,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: npmEnv({ N8N_DEMO_PORT: String(n8nPort), SANDBOX_PORT: String(sandboxPort), WA_ACCESS_TOKEN: '', WA_PHONE_NUMBER_ID: '' }),
    });
    demo.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    demo.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await until(async () => (output.includes('Ctrl-C stops everything.') ? true : demo.exitCode !== null ? Promise.reject(new Error(`the demo exited:\n${output.slice(-3000)}`)) : undefined), 8 * 60_000, 'the banner');
    banner = output;
  }, 10 * 60_000);

  afterAll(() => {
    try {
      process.kill(-demo.pid!, 'SIGKILL'); // whatever is left of the group, if a test failed
    } catch {
      /* gone */
    }
  });

  const line = (label: string) => banner.match(new RegExp(`${label}\\s+(\\S.*)`))?.[1]?.trim() ?? '';

  it('prints the editor URL, the login, the chat page URL and the CRM curl', () => {
    expect(line('n8n editor')).toBe(`http://127.0.0.1:${n8nPort}/`);
    expect(line('Login')).toMatch(/^\S+@\S+ \/ \S+$/);
    expect(line('Sandbox chat page')).toBe(`http://127.0.0.1:${sandboxPort}/`);
    expect(banner).toContain(`curl -s -X POST http://127.0.0.1:${n8nPort}/webhook/crm/order-shipped`);
  });

  it('the editor answers and the printed login works', async () => {
    const editor = await fetch(line('n8n editor'));
    expect(editor.status).toBe(200);
    expect(await editor.text()).toMatch(/<title>n8n/i);
    const [email, password] = line('Login').split(' / ');
    const login = await fetch(`http://127.0.0.1:${n8nPort}/rest/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'browser-id': 'demo-test' },
      body: JSON.stringify({ emailOrLdapLoginId: email, password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie().some((c) => c.startsWith('n8n-auth='))).toBe(true);
    const wrong = await fetch(`http://127.0.0.1:${n8nPort}/rest/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'browser-id': 'demo-test' },
      body: JSON.stringify({ emailOrLdapLoginId: email, password: `${password}x` }),
    });
    expect(wrong.status).toBe(401);
  }, 60_000);

  it('the printed curl delivers the template to the chat page; a reply typed there is answered by the reply workflow', async () => {
    // The curl exactly as printed (URL and body).
    const url = banner.match(/curl -s -X POST (\S+\/crm\/order-shipped)/)![1]!;
    const body = banner.match(/-d '(\{"phone".*?\})'/)![1]!;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const { phone, name, order } = JSON.parse(body) as { phone: string; name: string; order: string };
    const user = phone.replace(/\D/g, '');
    const sandbox = line('Sandbox chat page').replace(/\/$/, '');
    const template = await until(async () => (await chat(sandbox)).find((c) => c.waId === user)?.items.find((i) => i.dir === 'out'), 30_000, 'the template on the chat page');
    expect(template.view.label).toBe('template order_update (en)');
    expect(template.view.text).toBe(`Hi ${name}, your order ${order} has shipped and is on its way.`);

    // What the chat page's send box posts.
    const typed = await fetch(`${sandbox}/_sandbox/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: user, text: 'When will it arrive?', name }),
    });
    expect(typed.status).toBe(200);
    const answer = await until(
      async () => (await chat(sandbox)).find((c) => c.waId === user)?.items.filter((i) => i.dir === 'out')[1],
      30_000,
      'the reply on the chat page',
    );
    expect(answer.view).toMatchObject({ label: 'text', text: `Hi ${name}, you wrote: "When will it arrive?". How can we help?` });
  }, 90_000);

  it('Ctrl-C stops n8n and the sandbox and removes the temp folder', async () => {
    const userFolder = line('n8n user folder').split(' ')[0]!;
    expect(fs.existsSync(userFolder)).toBe(true);
    process.kill(-demo.pid!, 'SIGINT'); // what Ctrl-C in a terminal does: the whole foreground group
    await until(async () => (output.includes('Stopped.') ? true : undefined), 60_000, 'the demo to stop');
    expect(await portFree(n8nPort)).toBe(true);
    expect(await portFree(sandboxPort)).toBe(true);
    expect(fs.existsSync(userFolder)).toBe(false);
  }, 90_000);
});
