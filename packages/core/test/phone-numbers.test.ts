import { GraphApiError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';
import { PHONE_NUMBER_FIELDS, getPhoneNumber, listPhoneNumbers } from '../src/phone-numbers';
import { LoopbackServer, graphError } from './support/loopback-server';

const TOKEN = 'EAAphone';
let server: LoopbackServer;
let graph: GraphApi;
beforeEach(async () => {
  server = await LoopbackServer.start();
  graph = new GraphApi({ accessToken: TOKEN, baseUrl: server.url, apiVersion: 'v25.0' });
});
afterEach(async () => {
  await graph.close();
  await server.close();
});
const url = (i: number) => new URL(server.requests[i]!.url, 'http://x');

const PHONE = {
  id: '106540352242922',
  display_phone_number: '+1 555-078-3881',
  verified_name: 'Lucky Shrub',
  quality_rating: 'GREEN',
  status: 'CONNECTED',
  code_verification_status: 'VERIFIED',
  name_status: 'APPROVED',
  throughput: { level: 'STANDARD' },
  platform_type: 'CLOUD_API',
  account_mode: 'LIVE',
  messaging_limit_tier: 'TIER_1K',
  whatsapp_business_manager_messaging_limit: 'TIER_2K',
  is_official_business_account: false,
  health_status: { can_send_message: 'AVAILABLE', entities: [] },
};

describe('getPhoneNumber', () => {
  it('GET /{id}?fields=… with the token; camelCase result, newer messaging limit preferred', async () => {
    server.responder = () => ({ json: PHONE });
    const phone = await getPhoneNumber(graph, '106540352242922');
    expect(phone).toEqual({
      id: '106540352242922',
      displayPhoneNumber: '+1 555-078-3881',
      verifiedName: 'Lucky Shrub',
      qualityRating: 'GREEN',
      status: 'CONNECTED',
      codeVerificationStatus: 'VERIFIED',
      nameStatus: 'APPROVED',
      throughputLevel: 'STANDARD',
      platformType: 'CLOUD_API',
      accountMode: 'LIVE',
      messagingLimit: 'TIER_2K',
      isOfficialBusinessAccount: false,
      canSendMessage: 'AVAILABLE',
      raw: PHONE,
    });
    expect(server.requests[0]!.method).toBe('GET');
    expect(url(0).pathname).toBe('/v25.0/106540352242922');
    expect(url(0).searchParams.get('fields')).toBe(PHONE_NUMBER_FIELDS);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('asks again with basic fields when the Graph version refuses a field', async () => {
    server.responder = (_req, i) =>
      i === 0 ? graphError(400, 100, '(#100) Tried accessing nonexisting field (whatsapp_business_manager_messaging_limit)') : { json: { id: '1', messaging_limit_tier: 'TIER_250' } };
    expect((await getPhoneNumber(graph, '1')).messagingLimit).toBe('TIER_250');
    expect(url(1).searchParams.get('fields')).not.toContain('whatsapp_business_manager_messaging_limit');
  });

  it('other errors are thrown as mapped', async () => {
    server.responder = () => graphError(401, 190, '(#190) token expired');
    await expect(getPhoneNumber(graph, '1')).rejects.toMatchObject({ graphCode: 190, category: 'auth' });
    await expect(getPhoneNumber(graph, '1')).rejects.toBeInstanceOf(GraphApiError);
  });
});

describe('listPhoneNumbers', () => {
  it('GET /{waba}/phone_numbers, every page', async () => {
    server.responder = (_req, i) =>
      i === 0 ? { json: { data: [{ id: 'a' }], paging: { cursors: { after: 'C' }, next: 'n' } } } : { json: { data: [{ id: 'b', quality_rating: 'YELLOW' }] } };
    const numbers = await listPhoneNumbers(graph, 'WABA');
    expect(numbers.map((n) => [n.id, n.qualityRating])).toEqual([['a', undefined], ['b', 'YELLOW']]);
    expect(url(0).pathname).toBe('/v25.0/WABA/phone_numbers');
    expect(url(0).searchParams.get('limit')).toBe('100');
    expect(url(1).searchParams.get('after')).toBe('C');
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});
