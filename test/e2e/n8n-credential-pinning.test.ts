/**
 * The packed n8n package in REAL n8n 2.41.1: the saved access token cannot be pointed at another
 * host through the editor's REST calls.
 *  - `/rest/credentials/test` with n8n's blank placeholder for the token (n8n fills in the saved
 *    one) and a changed Base URL: our credential test refuses before any request, and a loopback
 *    server playing "attacker" receives nothing. The saved credential still tests OK against the
 *    sandbox (listed by the operator in WHATSAPP_CLOUD_TEST_BASE_URLS).
 *  - `/rest/dynamic-node-parameters/options` (load-options: the template languages) with a Base
 *    URL smuggled into the node parameters and the credential reference: n8n reads the saved
 *    credential, so the request goes to the saved base URL only.
 *  - the shared store credential (`whatsAppCloudRedisApi`): a test with the blank placeholder for
 *    the saved Redis password and a changed Port / Host is refused before connecting, and a loopback
 *    "attacker" TCP server sees no connection at all; the saved credential still tests OK against its
 *    password-protected Redis (listed by the operator in WHATSAPP_CLOUD_TEST_REDIS_HOSTS).
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as net from 'net';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { LoopbackServer } from '../../packages/core/test/support/loopback-server';
import { importCredentials, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { getFreePorts } from '../harness/ports';
import { spawnManaged, stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import { ACTION, apiCredentialData, N8nRest, packPackage, SECRETS } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const d = process.env.SKIP_E2E ? describe.skip : describe;
/** n8n-workflow's CREDENTIAL_BLANKING_VALUE: what the editor sends for a saved password field. */
const BLANK = '__n8n_BLANK_VALUE_e5362baf-c777-4d57-a609-6eaf1f9e87f6';

let sb: Sandbox;
let attacker: LoopbackServer;
let n8n: N8nInstance;
let rest: N8nRest;
let packDir: string;
let userFolder: string;
let credId: string;
let redisCredId: string;
let redisPort: number;
/** A TCP server playing "attacker" for the Redis credential: records every connection and byte. */
let tcpAttacker: net.Server;
let tcpAttackerPort: number;
const tcpSeen = { connections: 0, bytes: 0 };
const redisData = () => ({ host: '127.0.0.1', port: redisPort, user: '', password: SECRETS.redisPassword, database: 0, tls: false, keyPrefix: `pinning-${process.pid}:` });

d('n8n: credential test and load-options stay on the saved host', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sb = await startSandbox({ accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken });
    attacker = await LoopbackServer.start(() => ({ status: 200, json: { display_phone_number: '+1 555', verified_name: 'attacker', data: [] } }));
    [redisPort, tcpAttackerPort] = await getFreePorts(2);
    const redisServer = spawnManaged({
      name: 'redis-server (password, pinning)',
      command: 'redis-server',
      args: ['--port', String(redisPort), '--requirepass', SECRETS.redisPassword, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
    });
    await redisServer.waitForLog('Ready to accept connections', 15_000);
    tcpAttacker = net.createServer((socket) => {
      tcpSeen.connections++;
      socket.on('data', (chunk) => (tcpSeen.bytes += chunk.length));
      // Answer like a Redis that accepts anything, so a client that did connect would send its AUTH.
      socket.on('data', () => socket.write('+OK\r\n'));
    });
    await new Promise<void>((resolve) => tcpAttacker.listen(tcpAttackerPort, '127.0.0.1', resolve));
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    [credId, redisCredId] = await importCredentials(userFolder, [
      { name: 'WhatsApp sandbox', type: 'whatsAppCloudApi', data: apiCredentialData(sb) },
      { name: 'Shared store', type: 'whatsAppCloudRedisApi', data: redisData() },
    ]);
    n8n = await startN8n({ userFolder, env: { WHATSAPP_CLOUD_TEST_BASE_URLS: sb.url, WHATSAPP_CLOUD_TEST_REDIS_HOSTS: `127.0.0.1:${redisPort}` } });
    rest = new N8nRest(n8n.url);
    await rest.login();
  }, 600_000);

  afterAll(async () => {
    await n8n?.stop();
    await attacker?.close();
    await new Promise((resolve) => (tcpAttacker ? tcpAttacker.close(resolve) : resolve(undefined)));
    await sb?.close();
    await stopAll();
    for (const dir of [packDir, userFolder]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const test = (data: Record<string, unknown>) =>
    rest.request<{ status: string; message: string }>('POST', '/credentials/test', {
      credentials: { id: credId, name: 'WhatsApp sandbox', type: 'whatsAppCloudApi', data },
    });

  it('a credential test with the saved token and a changed Base URL is refused before any request', async () => {
    const saved = { ...apiCredentialData(sb), accessToken: BLANK, appSecret: BLANK, verifyToken: BLANK };
    const redirected = await test({ ...saved, baseUrl: attacker.url });
    expect(redirected.status).toBe('Error');
    expect(redirected.message).toContain('WHATSAPP_CLOUD_TEST_BASE_URLS');
    expect(redirected.message).not.toContain(SECRETS.accessToken);
    expect(attacker.requests).toHaveLength(0);

    const before = sb.requests.length;
    const asSaved = await test(saved);
    expect(asSaved).toMatchObject({ status: 'OK' });
    // The saved test really reached the saved host, with the saved token.
    const reached = sb.requests.slice(before);
    expect(reached.length).toBeGreaterThan(0);
  });

  it('load-options use the saved base URL, whatever the request carries', async () => {
    const before = sb.requests.length;
    const options = await rest.request<Array<{ value: string }>>('POST', '/dynamic-node-parameters/options', {
      nodeTypeAndVersion: { name: ACTION, version: 1 },
      path: 'languageCode',
      methodName: 'getTemplateLanguages',
      currentNodeParameters: {
        resource: 'message',
        operation: 'sendTemplate',
        templateName: { __rl: true, mode: 'list', value: 'order_update' },
        baseUrl: attacker.url,
      },
      credentials: { whatsAppCloudApi: { id: credId, name: 'WhatsApp sandbox', data: { baseUrl: attacker.url, accessToken: BLANK } } },
    });
    expect(options.map((o) => o.value)).toContain('en');
    expect(sb.requests.length).toBeGreaterThan(before);
    expect(attacker.requests).toHaveLength(0);
  });

  it('a Redis credential test with the saved password and a changed Port or Host is refused before connecting', async () => {
    const saved = { ...redisData(), password: BLANK };
    const testRedis = (data: Record<string, unknown>) =>
      rest.request<{ status: string; message: string }>('POST', '/credentials/test', {
        credentials: { id: redisCredId, name: 'Shared store', type: 'whatsAppCloudRedisApi', data },
      });
    for (const changed of [{ port: tcpAttackerPort }, { host: 'localhost', port: tcpAttackerPort }]) {
      const redirected = await testRedis({ ...saved, ...changed });
      expect(redirected.status).toBe('Error');
      expect(redirected.message).toContain('WHATSAPP_CLOUD_TEST_REDIS_HOSTS');
      expect(redirected.message).not.toContain(SECRETS.redisPassword);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(tcpSeen).toEqual({ connections: 0, bytes: 0 });

    // The saved credential still tests OK: n8n filled in the saved password (the Redis requires it).
    const asSaved = await testRedis(saved);
    expect(asSaved).toMatchObject({ status: 'OK' });
    const wrong = await testRedis({ ...saved, password: 'not-the-password' });
    expect(wrong.status).toBe('Error');
    expect(tcpSeen).toEqual({ connections: 0, bytes: 0 });
  });
});
