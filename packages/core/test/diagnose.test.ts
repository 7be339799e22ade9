import { GraphApi } from '../src/http/graph-api';
import { debugToken, diagnose, type DiagnoseReport } from '../src/diagnose';
import { LoopbackServer, graphError, type Reply } from './support/loopback-server';

const TOKEN = 'EAAdiag-secret';
const PHONE = '106540352242922';
const WABA = '102290129340398';
const APP = '670843887433847';
const NOW = Date.UTC(2026, 0, 1);
const OTHER_PHONE = '555000111';

interface World {
  token?: Record<string, unknown> | Reply;
  phone?: Record<string, unknown> | Reply;
  numbers?: Array<Record<string, unknown>>;
  apps?: Array<Record<string, unknown>>;
  templates?: Array<Record<string, unknown>>;
}

const goodPhone = { id: PHONE, display_phone_number: '+1 555-078-3881', status: 'CONNECTED', code_verification_status: 'VERIFIED', quality_rating: 'GREEN', platform_type: 'CLOUD_API', name_status: 'APPROVED', health_status: { can_send_message: 'AVAILABLE' } };
const goodToken = {
  app_id: APP,
  application: 'Lucky Shrub',
  type: 'SYSTEM_USER',
  is_valid: true,
  expires_at: 0,
  scopes: ['whatsapp_business_messaging', 'whatsapp_business_management', 'business_management'],
  granular_scopes: [{ scope: 'whatsapp_business_management', target_ids: [WABA] }],
};

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && ('json' in value || typeof (value as Reply).status === 'number');
}

let server: LoopbackServer;
let graph: GraphApi;
function world(w: World): void {
  const full = { token: goodToken, phone: goodPhone, numbers: [goodPhone], apps: [{ whatsapp_business_api_data: { id: APP, name: 'Lucky Shrub' } }], templates: [{ id: 't', name: 'hello_world', status: 'APPROVED' }], ...w };
  server.responder = (req) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname.replace('/v25.0/', '');
    if (path === 'debug_token') return isReply(full.token) ? full.token : { json: { data: full.token } };
    if (path === PHONE) return isReply(full.phone) ? full.phone : { json: full.phone };
    if (path === `${WABA}/phone_numbers`) return { json: { data: full.numbers } };
    if (path === `${WABA}/subscribed_apps`) return { json: { data: full.apps } };
    if (path === `${WABA}/message_templates`) return { json: { data: full.templates } };
    if (path === OTHER_PHONE) return { json: { id: OTHER_PHONE, status: 'CONNECTED' } };
    if (path === WABA) return graphError(400, 100, '(#100) Tried accessing nonexisting field (display_phone_number)');
    if (path === `${PHONE}/phone_numbers`) return graphError(400, 100, '(#100) nonexisting field (phone_numbers)');
    return graphError(400, 100, '(#100) Unsupported get request. Object does not exist');
  };
}
const status = (report: DiagnoseReport) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

beforeEach(async () => {
  server = await LoopbackServer.start();
  graph = new GraphApi({ accessToken: TOKEN, baseUrl: server.url, apiVersion: 'v25.0' });
});
afterEach(async () => {
  await graph.close();
  await server.close();
});

describe('debugToken', () => {
  it('GET /debug_token?input_token=<own token> with the bearer; parses scopes and expiry', async () => {
    world({ token: { ...goodToken, expires_at: 1767225600, data_access_expires_at: 1775000000 } });
    const info = await debugToken(graph);
    expect(info).toMatchObject({ isValid: true, appId: APP, type: 'SYSTEM_USER', scopes: goodToken.scopes, granularScopes: [{ scope: 'whatsapp_business_management', targetIds: [WABA] }] });
    expect(info.expiresAt).toEqual(new Date(1767225600 * 1000));
    const request = server.requests[0]!;
    expect(new URL(request.url, 'http://x').pathname).toBe('/v25.0/debug_token');
    expect(new URL(request.url, 'http://x').searchParams.get('input_token')).toBe(TOKEN);
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('inspects another token when given; expires_at 0 means never', async () => {
    world({});
    const info = await debugToken(graph, 'OTHER');
    expect(info.expiresAt).toBeNull();
    expect(new URL(server.requests[0]!.url, 'http://x').searchParams.get('input_token')).toBe('OTHER');
  });

  it('a network failure never names the token', async () => {
    const offline = new GraphApi({ accessToken: TOKEN, baseUrl: 'http://127.0.0.1:1', apiVersion: 'v25.0' });
    const error = await debugToken(offline).catch((e: Error) => e);
    await offline.close();
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(TOKEN);
  });
});

describe('diagnose', () => {
  it('all green: seven checks in order, ok', async () => {
    world({});
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(report.checks.map((c) => c.id)).toEqual(['token', 'scopes', 'ids', 'registration', 'quality', 'subscription', 'templates']);
    expect(status(report)).toEqual({ token: 'pass', scopes: 'pass', ids: 'pass', registration: 'pass', quality: 'pass', subscription: 'pass', templates: 'pass' });
    expect(report.ok).toBe(true);
    for (const check of report.checks) expect(check.seen.length).toBeGreaterThan(0);
    const templates = server.requests.find((r) => r.url.includes('message_templates'))!;
    expect(new URL(templates.url, 'http://x').searchParams.get('status')).toBe('APPROVED');
  });

  it('finds the WABA through the token\'s granular scopes when not given', async () => {
    world({});
    const report = await diagnose({ graph, phoneNumberId: PHONE, now: () => NOW });
    expect(report.checks.find((c) => c.id === 'ids')!.seen).toMatch(/found through the token/);
    expect(status(report).subscription).toBe('pass');
  });

  it('an invalid token fails and the rest is skipped', async () => {
    world({ token: graphError(401, 190, '(#190) Error validating access token: Session has expired') });
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(report.ok).toBe(false);
    expect(report.checks[0]).toMatchObject({ id: 'token', status: 'fail', fix: expect.stringMatching(/System User token/) });
    expect(report.checks.slice(2).every((c) => c.status === 'unknown')).toBe(true);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it('a token expiring within days warns; missing scopes fail', async () => {
    world({ token: { ...goodToken, expires_at: NOW / 1000 + 3600, scopes: ['whatsapp_business_messaging'] } });
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(status(report)).toMatchObject({ token: 'warn', scopes: 'fail' });
    expect(report.checks[1]!.seen).toMatch(/Missing: whatsapp_business_management/);
  });

  it('detects a WABA ID given as the phone number ID', async () => {
    world({});
    const report = await diagnose({ graph, phoneNumberId: WABA, wabaId: WABA, now: () => NOW });
    expect(report.checks.find((c) => c.id === 'ids')).toMatchObject({ status: 'fail', seen: expect.stringMatching(/is a WhatsApp Business Account ID, not a phone number ID/) });
    expect(report.ok).toBe(false);
  });

  it('detects a phone number ID given as the WABA ID', async () => {
    world({});
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: OTHER_PHONE, now: () => NOW });
    expect(report.checks.find((c) => c.id === 'ids')).toMatchObject({ status: 'fail', seen: `${OTHER_PHONE} is a phone number ID, not a WABA ID.` });
    expect(status(report)).toMatchObject({ subscription: 'unknown', templates: 'unknown' });
    const unknown = await diagnose({ graph, phoneNumberId: PHONE, wabaId: 'NOPE', now: () => NOW });
    expect(unknown.checks.find((c) => c.id === 'ids')).toMatchObject({ status: 'fail', seen: expect.stringMatching(/WABA NOPE could not be read/) });
    const same = await diagnose({ graph, phoneNumberId: PHONE, wabaId: PHONE, now: () => NOW });
    expect(same.checks.find((c) => c.id === 'ids')).toMatchObject({ status: 'fail', seen: expect.stringMatching(/same value/) });
  });

  it('a number of another WABA fails the ids check', async () => {
    world({ numbers: [{ id: '999' }] });
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(report.checks.find((c) => c.id === 'ids')).toMatchObject({ status: 'fail', seen: expect.stringMatching(/not one of WABA/) });
  });

  it('unregistered number, red quality, no subscription, no approved template', async () => {
    const bad = { ...goodPhone, status: 'PENDING', code_verification_status: 'NOT_VERIFIED', quality_rating: 'RED' };
    world({ phone: bad, numbers: [bad], apps: [], templates: [] });
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(status(report)).toMatchObject({ registration: 'fail', quality: 'fail', subscription: 'fail', templates: 'warn' });
    for (const check of report.checks.filter((c) => c.status === 'fail' || c.status === 'warn')) expect(check.fix).toBeTruthy();
  });

  it('another app subscribed, not the token\'s', async () => {
    world({ apps: [{ whatsapp_business_api_data: { id: '1', name: 'Someone else' } }] });
    const report = await diagnose({ graph, phoneNumberId: PHONE, wabaId: WABA, now: () => NOW });
    expect(report.checks.find((c) => c.id === 'subscription')).toMatchObject({ status: 'fail', seen: expect.stringMatching(/Lucky Shrub\) is not/) });
  });
});
