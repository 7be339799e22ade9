import { startSandbox, type Sandbox } from '../src';
import { graph, sendText } from './helpers';

describe('Graph basics: token, object IDs, versions, records', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
  });
  afterAll(() => sb.close());

  test('no token → HTTP 401, code 190, recorded', async () => {
    const r = await graph(sb, 'POST', `${sb.phoneNumberId}/messages`, { messaging_product: 'whatsapp' }, { token: null });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe(190);
    expect(r.json.error.type).toBe('OAuthException');
    expect(typeof r.json.error.fbtrace_id).toBe('string');
    const rec = sb.requests[sb.requests.length - 1];
    expect(rec).toMatchObject({ method: 'POST', status: 401, errorCode: 190 });
  });

  test('wrong token → 401 / 190 "Invalid OAuth access token"', async () => {
    const r = await graph(sb, 'GET', sb.phoneNumberId, undefined, { token: 'nope' });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: 190, message: expect.stringContaining('Invalid OAuth access token') });
    expect(r.json.error.error_data).toBeUndefined();
  });

  test('unknown phone number ID → 400, code 100, subcode 33 like Graph', async () => {
    const r = await graph(sb, 'POST', '999999/messages', { messaging_product: 'whatsapp', to: '15551230001', text: { body: 'x' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(r.json.error.message).toMatch(/^Unsupported post request\. Object with ID '999999' does not exist/);
  });

  test('unknown edge on a known object → 2500 unknown path components', async () => {
    const r = await graph(sb, 'GET', `${sb.phoneNumberId}/nonsense`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(2500);
  });

  test('any vNN.N version prefix works, unversioned too', async () => {
    for (const version of ['v18.0', 'v23.0', 'v25.0']) {
      const r = await graph(sb, 'GET', sb.phoneNumberId, undefined, { version });
      expect(r.status).toBe(200);
      expect(r.json.id).toBe(sb.phoneNumberId);
    }
    const res = await fetch(`${sb.url}/${sb.phoneNumberId}`, { headers: { authorization: `Bearer ${sb.accessToken}` } });
    expect(res.status).toBe(200);
  });

  test('requests record method, path, query, body, status; tokens in the query are redacted', async () => {
    await sendText(sb, '15551230001', 'recorded');
    const rec = sb.requests[sb.requests.length - 1];
    expect(rec).toMatchObject({ method: 'POST', path: `/v23.0/${sb.phoneNumberId}/messages`, status: 200 });
    expect(rec.body).toMatchObject({ text: { body: 'recorded' } });
    const res = await fetch(`${sb.url}/v23.0/${sb.phoneNumberId}?fields=id&access_token=${sb.accessToken}`);
    expect(res.status).toBe(200);
    const last = sb.requests[sb.requests.length - 1];
    expect(last.query).toEqual({ fields: 'id', access_token: '<redacted>' });
  });

  test('latencyMs delays every Graph answer', async () => {
    const slow = await startSandbox({ latencyMs: 120 });
    try {
      const t0 = Date.now();
      const r = await graph(slow, 'GET', slow.phoneNumberId);
      expect(r.status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.close();
    }
  });

  test('defaults a user can paste', () => {
    expect(sb.accessToken).toBe('sandbox-token');
    expect(sb.appSecret).toBe('sandbox-app-secret');
    expect(sb.verifyToken).toBe('sandbox-verify-token');
    expect(sb.phoneNumberId).toBe('100000000000001');
    expect(sb.wabaId).toBe('200000000000001');
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
