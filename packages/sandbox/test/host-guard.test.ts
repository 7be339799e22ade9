/**
 * DNS rebinding guard: the sandbox answers only requests addressed to it by a loopback name, its
 * --host, or an allowed name. A page whose own DNS name points at 127.0.0.1 must not be able to
 * drive it (and through it post signed webhooks into a local n8n or Node-RED).
 */
import * as http from 'node:http';
import { startSandbox, type Sandbox } from '../src';

function get(url: string, host: string | undefined, path = '/v25.0/me'): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: 'Bearer sandbox-token' };
    const req = http.request({ host: target.hostname, port: target.port, path, method: 'GET', headers, setHost: host === undefined ? false : true }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    if (host !== undefined) req.setHeader('host', host);
    req.on('error', reject);
    req.end();
  });
}

describe('sandbox Host header guard', () => {
  let sb: Sandbox;
  afterEach(() => sb?.close());

  test('loopback names pass; another name (a rebinding page) gets 403 and reaches nothing', async () => {
    sb = await startSandbox();
    const port = new URL(sb.url).port;
    const before = sb.requests.length;
    expect(await get(sb.url, `127.0.0.1:${port}`)).not.toBe(403);
    expect(await get(sb.url, `localhost:${port}`)).not.toBe(403);
    expect(await get(sb.url, `[::1]:${port}`)).not.toBe(403);
    const afterAllowed = sb.requests.length;
    expect(afterAllowed).toBeGreaterThan(before);
    expect(await get(sb.url, `attacker.example:${port}`)).toBe(403);
    expect(await get(sb.url, `127.0.0.1.attacker.example:${port}`)).toBe(403);
    // No Host at all: Node's own HTTP server already refuses it (400).
    expect([400, 403]).toContain(await get(sb.url, undefined));
    expect(sb.requests.length).toBe(afterAllowed);
  });

  test('the --host it was started with and allowedHosts are accepted', async () => {
    sb = await startSandbox({ host: '127.0.0.1', allowedHosts: ['graph.facebook.com'] });
    const port = new URL(sb.url).port;
    expect(await get(sb.url, `graph.facebook.com:${port}`)).not.toBe(403);
    expect(await get(sb.url, `graph.facebook.com.evil:${port}`)).toBe(403);
  });
});
