/**
 * The editor endpoints (`/whatsapp-cloud/diagnose`, `/whatsapp-cloud/templates`) as an attacker
 * with access to the admin API would use them. Each refused request is checked on the far side: a
 * loopback server playing "attacker" must receive no request at all. (Permissions are checked in
 * real Node-RED with adminAuth: test/e2e/node-red-admin-security.test.ts.)
 */
import type { Sandbox } from '../../sandbox/src';
import { LoopbackServer } from '../../core/test/support/loopback-server';
import { configFor, helper, load, sandbox, startServer, stop, type Loaded } from './helpers';

const SECRET_NAME = 'WA_ADMIN_TEST_SECRET';
const ALLOWED_NAME = 'WA_ADMIN_TEST_TOKEN';

describe('admin endpoints: no secret leaves for a host the operator did not save', () => {
  let sb: Sandbox;
  let attacker: LoopbackServer;
  let loaded: Loaded | undefined;

  beforeAll(() => {
    process.env[SECRET_NAME] = 'hunter2';
  });
  afterAll(() => {
    delete process.env[SECRET_NAME];
    delete process.env[ALLOWED_NAME];
  });

  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
    attacker = await LoopbackServer.start(() => ({ status: 200, json: { id: '1', display_phone_number: '+1 555' } }));
    const config = configFor(sb);
    const other = { id: 'out1', type: 'whatsapp-cloud-out', config: 'cfg', wires: [] };
    loaded = await load([config.node, other], config.credentials, { whatsappCloudConfigEditorEnv: [ALLOWED_NAME] });
  });
  afterEach(async () => {
    await stop(loaded);
    await sb.close();
    await attacker.close();
  });

  const post = (route: string, body: unknown) => helper.request().post(`/whatsapp-cloud/${route}`).send(body as object);

  test.each(['diagnose', 'templates'])('%s: the saved token is not sent to a typed base URL (400 naming the field)', async (route) => {
    const res = await post(route, { id: 'cfg', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: attacker.url });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^accessToken: /);
    const also = await post(route, { id: 'cfg', baseUrl: attacker.url });
    expect(also.status).toBe(400);
    expect(attacker.requests).toHaveLength(0);
  });

  test.each(['diagnose', 'templates'])('%s: a typed ${NAME} that is not on the allow-list is refused, naming the field', async (route) => {
    const res = await post(route, { accessToken: `\${${SECRET_NAME}}`, phoneNumberId: '1', wabaId: '2', baseUrl: attacker.url });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^accessToken: /);
    expect(res.body.error.hint).toContain('whatsappCloudConfigEditorEnv');
    const inUrl = await post(route, { accessToken: 'typed', phoneNumberId: '1', wabaId: '2', baseUrl: `\${${SECRET_NAME}}` });
    expect(inUrl.status).toBe(400);
    expect(inUrl.body.error.message).toMatch(/^baseUrl: /);
    expect(JSON.stringify([res.body, inUrl.body])).not.toContain('hunter2');
    expect(attacker.requests).toHaveLength(0);
  });

  test('a ${NAME} on the allow-list is resolved from the environment', async () => {
    process.env[ALLOWED_NAME] = sb.accessToken;
    const res = await post('diagnose', { accessToken: `\${${ALLOWED_NAME}}`, phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(res.status).toBe(200);
    expect(res.body.checks.find((c: { id: string }) => c.id === 'token').status).toBe('pass');
  });

  test('form-encoded bodies and foreign Origins are refused before any request', async () => {
    const form = await helper
      .request()
      .post('/whatsapp-cloud/diagnose')
      .type('form')
      .send(`accessToken=typed&phoneNumberId=1&baseUrl=${encodeURIComponent(attacker.url)}`);
    expect(form.status).toBe(415);
    const text = await helper.request().post('/whatsapp-cloud/diagnose').set('content-type', 'text/plain').send(JSON.stringify({ accessToken: 'typed', phoneNumberId: '1', baseUrl: attacker.url }));
    expect(text.status).toBe(415);
    const foreign = await post('diagnose', { accessToken: 'typed', phoneNumberId: '1', baseUrl: attacker.url }).set('origin', 'http://evil.example');
    expect(foreign.status).toBe(403);
    expect(attacker.requests).toHaveLength(0);
  });

  test('id must name a whatsapp-cloud-config node; fields are known, strings and bounded', async () => {
    const wrongType = await post('diagnose', { id: 'out1', phoneNumberId: sb.phoneNumberId, baseUrl: sb.url });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toMatch(/^id: is not a whatsapp-cloud-config node/);
    const badId = await post('diagnose', { id: { $ne: 1 } });
    expect(badId.status).toBe(400);
    const unknown = await post('diagnose', { id: 'cfg', url: attacker.url });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/^url: /);
    const notString = await post('diagnose', { id: 'cfg', phoneNumberId: ['1'] });
    expect(notString.status).toBe(400);
    expect(notString.body.error.message).toMatch(/^phoneNumberId: must be a string/);
    const huge = 'x'.repeat(1_000_000);
    const long = await post('diagnose', { accessToken: huge, phoneNumberId: '1', baseUrl: attacker.url });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe('accessToken: 1000000 characters, the limit is 4096');
    expect(JSON.stringify(long.body).length).toBeLessThan(1000);
    const notObject = await helper.request().post('/whatsapp-cloud/diagnose').set('content-type', 'application/json').send('[1,2]');
    expect(notObject.status).toBe(400);
    expect(attacker.requests).toHaveLength(0);
  });

  test('a base URL over plain http to a non-loopback host, or 100 kB of slashes, is refused at once', async () => {
    const clear = await post('diagnose', { accessToken: 'typed', phoneNumberId: '1', baseUrl: 'http://10.0.0.1:8080' });
    expect(clear.status).toBe(400);
    expect(clear.body.error.message).toMatch(/^baseUrl: http:\/\/ is only allowed to a loopback host/);
    const slashes = await post('diagnose', { accessToken: 'typed', phoneNumberId: '1', baseUrl: 'https://a' + '/'.repeat(100_000) + 'x' });
    expect(slashes.status).toBe(400);
    expect(slashes.body.error.message).toMatch(/^baseUrl: /);
  });

  test('errors from a typed base URL do not tell which internal hosts answer', async () => {
    attacker.responder = () => ({ status: 404, body: '<html>intranet wiki of 10.1.2.3</html>', headers: { 'content-type': 'text/html' } });
    const answering = await post('diagnose', { accessToken: 'typed', phoneNumberId: '1', baseUrl: attacker.url });
    const closed = await post('templates', { accessToken: 'typed', wabaId: '2', baseUrl: 'http://127.0.0.1:1' });
    const alsoAnswering = await post('templates', { accessToken: 'typed', wabaId: '2', baseUrl: attacker.url });
    expect(closed.status).toBe(502);
    expect(alsoAnswering.status).toBe(502);
    // The same answer whether the host answered or refused the connection, naming neither.
    expect(alsoAnswering.body).toEqual(closed.body);
    for (const body of [answering.body, closed.body, alsoAnswering.body]) {
      const text = JSON.stringify(body);
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain('intranet');
      expect(text).not.toMatch(/ECONNREFUSED|404/);
    }
  });

  test('the saved config still works, and Meta\'s Graph host is always allowed for the saved token', async () => {
    const saved = await post('templates', { id: 'cfg' });
    expect(saved.status).toBe(200);
    expect(saved.body.templates.length).toBeGreaterThan(0);
    const asDeployed = await post('diagnose', { id: 'cfg', accessToken: '__PWRD__', baseUrl: sb.url + '/' });
    expect(asDeployed.status).toBe(200);
    expect(JSON.stringify([saved.body, asDeployed.body])).not.toContain(sb.accessToken);
  });
});
