/**
 * The shared store credential test (`whatsAppCloudRedisApiTest`) sends the Redis password only to a
 * host:port the operator listed in WHATSAPP_CLOUD_TEST_REDIS_HOSTS: n8n fills the saved password
 * into a test request whose Host/Port the caller may have changed. A loopback TCP server playing
 * "attacker" must see no connection. The real end-to-end case is test/e2e/n8n-credential-pinning.
 */
import * as net from 'node:net';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { whatsAppCloudRedisApiTest } from '../nodes/WhatsAppCloud/v1/methods/credentialTest';
import { allowedTestRedisHosts, TEST_REDIS_HOSTS_ENV } from '../nodes/WhatsAppCloud/transport/testTarget';

const REDIS = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const PASSWORD = 'unit-REDIS-pw-5e1d';
let attacker: net.Server;
let attackerPort: number;
const seen = { connections: 0, bytes: 0 };

beforeAll(async () => {
  attacker = net.createServer((socket) => {
    seen.connections++;
    socket.on('data', (chunk) => {
      seen.bytes += chunk.length;
      socket.write('+OK\r\n');
    });
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as net.AddressInfo).port;
});
afterAll(() => new Promise((resolve) => attacker.close(resolve)));
afterEach(() => {
  delete process.env[TEST_REDIS_HOSTS_ENV];
});

const run = (data: Record<string, unknown>) =>
  whatsAppCloudRedisApiTest.call({} as ICredentialTestFunctions, { id: '1', name: 'Shared store', type: 'whatsAppCloudRedisApi', data: { database: 0, tls: false, keyPrefix: `rt-${process.pid}:`, ...data } });

test('a password sent to an unlisted host:port is refused before connecting; the message names the variable, not the password', async () => {
  process.env[TEST_REDIS_HOSTS_ENV] = `${REDIS.hostname}:${REDIS.port || 6379}`;
  for (const data of [{ host: '127.0.0.1', port: attackerPort, password: PASSWORD }, { host: 'LOCALHOST', port: attackerPort, user: 'default', password: PASSWORD }]) {
    const result = await run(data);
    expect(result.status).toBe('Error');
    expect(result.message).toContain(TEST_REDIS_HOSTS_ENV);
    expect(result.message).not.toContain(PASSWORD);
  }
  await new Promise((r) => setTimeout(r, 100));
  expect(seen).toEqual({ connections: 0, bytes: 0 });
});

test('a listed host:port is tested with the password; without a password any host is tested (nothing secret to send)', async () => {
  process.env[TEST_REDIS_HOSTS_ENV] = ` 127.0.0.1:${attackerPort} ,not-a-host`;
  await run({ host: '127.0.0.1', port: attackerPort, password: PASSWORD });
  expect(seen.connections).toBeGreaterThan(0);
  delete process.env[TEST_REDIS_HOSTS_ENV];
  // The shared Redis has no password: the test reaches it and answers OK.
  expect(await run({ host: REDIS.hostname, port: Number(REDIS.port || 6379) })).toMatchObject({ status: 'OK' });
});

test('the allow-list keeps only host:port entries, host in lower case, IPv6 brackets dropped', () => {
  expect(allowedTestRedisHosts('Redis.Internal:6379, [::1]:6380, no-port, bad:99999')).toEqual(['redis.internal:6379', '::1:6380']);
});
