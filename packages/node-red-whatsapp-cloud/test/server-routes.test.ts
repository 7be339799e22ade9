/**
 * The webhook fast path on Node-RED's HTTP server (lib/server-routes.ts): a real http.Server with
 * a stand-in for Node-RED's Express listener, then the in-node on the test helper's server.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signBody, type Sandbox } from '../../sandbox/src';
import { fastPathOff, fullWebhookPath, routeOnServer } from '../src/lib/server-routes';
import { collect, configFor, helper, load, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

interface Answer {
  status: number;
  body: string;
}

/** A POST as Meta sends it (the fast path looks for the header, the in-node checks it). */
const SIGNED = { 'x-hub-signature-256': 'sha256=00' };

function request(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('routeOnServer', () => {
  let server: http.Server;
  let base: string;
  const seenByExpress: string[] = [];

  beforeEach(async () => {
    seenByExpress.length = 0;
    // Stands for Node-RED's Express app: whatever reaches it is recorded and answered 404.
    server = http.createServer((req, res) => {
      seenByExpress.push(`${req.method} ${req.url}`);
      res.writeHead(404).end('express');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const answer = (text: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end(`${text} ${req.method}`));
  };

  test('Meta\'s GET and signed POST of the path are answered before Express; everything else reaches Express', async () => {
    const release = routeOnServer(server, '/whatsapp', answer('fast'));
    expect(await request(base, 'GET', '/whatsapp?hub.mode=subscribe&hub.challenge=1')).toEqual({ status: 200, body: 'fast GET' });
    expect(await request(base, 'POST', '/whatsapp', '{}', SIGNED)).toEqual({ status: 200, body: 'fast POST' });
    // Express's defaults: case-insensitive, one trailing slash ignored.
    expect(await request(base, 'POST', '/WhatsApp/', '{}', SIGNED)).toEqual({ status: 200, body: 'fast POST' });
    expect(seenByExpress).toEqual([]);

    expect((await request(base, 'PUT', '/whatsapp', '{}', SIGNED)).body).toBe('express');
    expect((await request(base, 'GET', '/whatsapp/more?hub.mode=subscribe')).body).toBe('express');
    expect((await request(base, 'GET', '/other?x=/whatsapp')).body).toBe('express');
    // Not Meta's: an unsigned POST or a GET without hub.mode (the editor, an http in node on the path).
    expect((await request(base, 'POST', '/whatsapp', '{}')).body).toBe('express');
    expect((await request(base, 'GET', '/whatsapp')).body).toBe('express');
    expect(seenByExpress).toEqual(['PUT /whatsapp', 'GET /whatsapp/more?hub.mode=subscribe', 'GET /other?x=/whatsapp', 'POST /whatsapp', 'GET /whatsapp']);

    release();
    expect((await request(base, 'GET', '/whatsapp?hub.mode=subscribe')).body).toBe('express');
  });

  test('a listener added after the route never sees the requests the route answered', async () => {
    const release = routeOnServer(server, '/whatsapp', answer('fast'));
    const late: string[] = [];
    server.on('request', (req) => late.push(String(req.url)));
    await request(base, 'POST', '/whatsapp', '{}', SIGNED);
    await request(base, 'GET', '/elsewhere');
    expect(late).toEqual(['/elsewhere']);
    release();
  });

  test('two routes on one path: the first answers; releasing it hands the path to the second', async () => {
    const releaseFirst = routeOnServer(server, '/hook', answer('first'));
    const releaseSecond = routeOnServer(server, '/hook', answer('second'));
    expect((await request(base, 'GET', '/hook?hub.mode=subscribe')).body).toBe('first GET');
    releaseFirst();
    expect((await request(base, 'GET', '/hook?hub.mode=subscribe')).body).toBe('second GET');
    releaseSecond();
    expect((await request(base, 'GET', '/hook?hub.mode=subscribe')).body).toBe('express');
  });
});

describe('fastPathOff and fullWebhookPath', () => {
  const server = http.createServer();

  test('the fast path is used only where no Node-RED HTTP setting expects Express', () => {
    const path = '/whatsapp';
    expect(fastPathOff(server, { httpNodeRoot: '/' }, path)).toBeUndefined();
    expect(fastPathOff(undefined, { httpNodeRoot: '/' }, path)).toMatch(/RED\.server/);
    expect(fastPathOff(server, { httpNodeRoot: false }, path)).toMatch(/httpNodeRoot/);
    expect(fastPathOff(server, { httpNodeRoot: '/', httpNodeAuth: { user: 'a', pass: 'b' } }, path)).toMatch(/httpNodeAuth/);
    expect(fastPathOff(server, { httpNodeRoot: '/', httpNodeMiddleware: () => undefined }, path)).toMatch(/httpNodeMiddleware/);
    expect(fastPathOff(server, { httpNodeRoot: '/', whatsappCloudInFastPath: false }, path)).toMatch(/whatsappCloudInFastPath/);
    // httpAdminMiddleware runs in front of the node routes only where the editor's root covers them.
    const admin = { httpAdminMiddleware: () => undefined };
    expect(fastPathOff(server, { httpNodeRoot: '/', httpAdminRoot: '/', ...admin }, path)).toMatch(/httpAdminMiddleware/);
    expect(fastPathOff(server, { httpNodeRoot: '/api/', httpAdminRoot: '/api', ...admin }, path)).toMatch(/httpAdminMiddleware/);
    expect(fastPathOff(server, { httpNodeRoot: '/api/', httpAdminRoot: '/admin/', ...admin }, path)).toBeUndefined();
    expect(fastPathOff(server, { httpNodeRoot: '/', httpAdminRoot: false, ...admin }, path)).toBeUndefined();
  });

  test('httpNodeRoot and the node path join like the websocket node joins them', () => {
    expect(fullWebhookPath('/', '/whatsapp')).toBe('/whatsapp');
    expect(fullWebhookPath('/api/', 'whatsapp')).toBe('/api/whatsapp');
    expect(fullWebhookPath('/api', '/whatsapp')).toBe('/api/whatsapp');
  });
});

describe('whatsapp-cloud-in on the runtime server', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb.close();
    helper.settings({}); // back to the helper's defaults
  });

  async function run(settings: Record<string, unknown>) {
    const config = configFor(sb);
    // load() sets the runtime's settings (a user folder of its own), so these go through it.
    loaded = await load(
      [config.node, { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: '/wa-hook', wires: [['messages'], [], []] }, { id: 'messages', type: 'helper' }],
      config.credentials,
      settings,
    );
    return loaded;
  }

  function signedText(user: string): string {
    return JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: sb.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: sb.displayPhoneNumber, phone_number_id: sb.phoneNumberId },
                messages: [{ from: user, id: `wamid.fast-${user}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'fast' } }],
              },
            },
          ],
        },
      ],
    });
  }

  const post = (base: string, path: string, body: string, secret: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, secret) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });

  test('answers under httpNodeRoot on RED.server, verifies, emits; gives the path back on close', async () => {
    await run({ httpNodeRoot: '/nodes/' });
    const messages = collect(helper.getNode('messages'));
    const user = uniqueUser();
    const body = signedText(user);
    // The helper's server does not mount RED.httpNode at all: only the fast path can answer here.
    expect(await post(helper.url(), '/nodes/wa-hook', body, 'not-the-secret')).toBe(401);
    expect(await post(helper.url(), '/nodes/wa-hook', body, sb.appSecret)).toBe(200);
    await waitFor(() => messages.length === 1, 2000, 'the message');
    expect(messages[0]).toMatchObject({ to: user, topic: 'message/text', payload: { text: 'fast' } });
    const challenge = await request(helper.url(), 'GET', `/nodes/wa-hook?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=77`);
    expect(challenge).toEqual({ status: 200, body: '77' });

    await helper.unload();
    expect((await request(helper.url(), 'GET', `/nodes/wa-hook?hub.mode=subscribe&hub.verify_token=${sb.verifyToken}&hub.challenge=77`)).status).toBe(404);
  });

  test('with httpNodeMiddleware set, the webhook stays on RED.httpNode, behind the middleware, and says why', async () => {
    const seen: string[] = [];
    const middleware = (req: http.IncomingMessage, _res: unknown, next: () => void) => {
      seen.push(`${req.method} ${req.url}`);
      next();
    };
    const { nodeUrl } = await run({ httpNodeRoot: '/', httpNodeMiddleware: middleware });
    const messages = collect(helper.getNode('messages'));
    const body = signedText(uniqueUser());
    expect(await post(helper.url(), '/wa-hook', body, sb.appSecret)).toBe(404);
    expect(await post(nodeUrl, '/wa-hook', body, sb.appSecret)).toBe(200);
    await waitFor(() => messages.length === 1, 2000, 'the message');
    expect(seen).toEqual(['POST /wa-hook']);
    const logged = helper.log().args.map((args: Array<{ msg?: unknown }>) => String(args[0]?.msg ?? ''));
    expect(logged).toContain('Webhook /wa-hook is served through Express (httpNodeMiddleware is set).');
  });
});
