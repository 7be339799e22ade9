/**
 * The editor endpoints of the packed package in REAL Node-RED 4 with `adminAuth` on: a read-only
 * user (Node-RED's `permissions: "read"`) and a full user, each with a real token from
 * `/auth/token`. A loopback server plays the attacker of issue #19 (a `${NAME}` of the process, or
 * the saved token, sent to a base URL typed into the request): it must receive no request at all.
 * The same calls with the saved config still work for the full user. Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { LoopbackServer } from '../../packages/core/test/support/loopback-server';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { run, stopAll } from '../harness/processes';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as { hashSync(password: string, rounds: number): string };

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
const d = process.env.SKIP_E2E ? describe.skip : describe;
const SECRET = 'hunter2-db-password';

let sb: Sandbox;
let attacker: LoopbackServer;
let nr: NodeRedInstance;
let tmp: string;
const tokens: Record<'reader' | 'admin', string> = { reader: '', admin: '' };

/** A token as the editor's login gets it (the scope asked for must not exceed the user's permissions). */
async function login(username: string, password: string, scope: string): Promise<string> {
  const res = await fetch(`${nr.adminUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
  });
  if (!res.ok) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function post(route: string, user: 'reader' | 'admin', body: unknown): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${nr.adminUrl}/whatsapp-cloud/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[user]}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

d('Node-RED 4 with adminAuth: the editor endpoints', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-admin-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
    const tarball = path.join(tmp, stdout.trim().split('\n').pop()!);
    await ensureNodeRed(4);
    sb = await startSandbox({});
    attacker = await LoopbackServer.start(() => ({ status: 200, json: { id: '1', display_phone_number: '+1 555', data: [] } }));
    nr = await startNodeRed({
      major: 4,
      flows: [
        { id: 'tab', type: 'tab', label: 'admin' },
        { id: 'cfg1', type: 'whatsapp-cloud-config', name: 'sandbox', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, throughput: 80, windowPolicy: 'enforce', healthCheckMinutes: 0, store: 'none' },
        { id: 'inj', type: 'inject', z: 'tab', name: '', props: [], repeat: '', once: false, x: 100, y: 100, wires: [[]] },
      ],
      credentials: { cfg1: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } },
      packages: [tarball],
      env: { SECRET_DB_PASSWORD: SECRET },
      settingsOverrides: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'reader', password: bcrypt.hashSync('reader-pass', 8), permissions: 'read' },
            { username: 'admin', password: bcrypt.hashSync('admin-pass', 8), permissions: '*' },
          ],
        },
      },
    });
    tokens.reader = await login('reader', 'reader-pass', 'read');
    tokens.admin = await login('admin', 'admin-pass', '*');
  }, 300_000);

  afterAll(async () => {
    await nr?.stop();
    await attacker?.close();
    await sb?.close();
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the read-only user gets 403 from diagnose and templates, with the saved config or a typed attack', async () => {
    for (const route of ['diagnose', 'templates']) {
      const saved = await post(route, 'reader', { id: 'cfg1' });
      expect([route, saved.status]).toEqual([route, 403]);
      const env = await post(route, 'reader', { id: 'cfg1', accessToken: '${SECRET_DB_PASSWORD}', phoneNumberId: '1', baseUrl: attacker.url });
      expect([route, env.status]).toEqual([route, 403]);
      const savedToken = await post(route, 'reader', { id: 'cfg1', baseUrl: attacker.url });
      expect([route, savedToken.status]).toEqual([route, 403]);
    }
    const anonymous = await fetch(`${nr.adminUrl}/whatsapp-cloud/diagnose`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'cfg1', baseUrl: attacker.url }) });
    expect(anonymous.status).toBe(401);
    // The read-only user can read flows (the token works), so the 403 is the route's permission.
    const flows = await fetch(`${nr.adminUrl}/flows`, { headers: { authorization: `Bearer ${tokens.reader}` } });
    expect(flows.status).toBe(200);
    expect(attacker.requests).toHaveLength(0);
  });

  test('the full user: a typed ${NAME} off the allow-list is a 400 naming the field; the saved token never goes to a typed base URL', async () => {
    for (const route of ['diagnose', 'templates']) {
      const env = await post(route, 'admin', { id: 'cfg1', accessToken: '${SECRET_DB_PASSWORD}', phoneNumberId: '1', wabaId: '2', baseUrl: attacker.url });
      expect([route, env.status]).toEqual([route, 400]);
      expect(env.body.error.message).toMatch(/^accessToken: /);
      expect(env.text).not.toContain(SECRET);
      const savedToken = await post(route, 'admin', { id: 'cfg1', baseUrl: attacker.url });
      expect([route, savedToken.status]).toEqual([route, 400]);
      expect(savedToken.body.error.message).toMatch(/^accessToken: /);
    }
    expect(attacker.requests).toHaveLength(0);
  });

  test('the full user with the saved config: Test connection and the template list work, no secret in the answer', async () => {
    const diagnosis = await post('diagnose', 'admin', { id: 'cfg1', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(diagnosis.status).toBe(200);
    expect(diagnosis.body.checks.find((c: { id: string }) => c.id === 'token').status).toBe('pass');
    const templates = await post('templates', 'admin', { id: 'cfg1' });
    expect(templates.status).toBe(200);
    expect(templates.body.templates.map((t: { name: string }) => t.name)).toContain('order_update');
    expect(diagnosis.text + templates.text).not.toContain(sb.accessToken);
    expect(attacker.requests).toHaveLength(0);
  });
});
