import { startSandbox, type Sandbox } from '../../sandbox/src';
import {
  blockUsers,
  deregisterPhoneNumber,
  getBusinessProfile,
  healthSnapshot,
  listBlockedUsers,
  registerPhoneNumber,
  unblockUsers,
  updateBusinessProfile,
} from '../src/account';
import { WhatsAppClient } from '../src/client';
import { GraphApiError, ValidationError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';

let sb: Sandbox;
let graph: GraphApi;

beforeEach(async () => {
  sb = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
  graph = new GraphApi({ accessToken: sb.accessToken, baseUrl: sb.url });
});
afterEach(async () => {
  await graph.close();
  await sb.close();
});

const rel = (path: string) => path.replace(/^\/v\d+\.\d+\//, '');
const calls = () => sb.requests.map((r) => `${r.method} ${rel(r.path)}`);

async function thrown(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('registration', () => {
  test('sets the two-step PIN, registers with it, reads the number back: a deregistered number sends again (fixes 133010)', async () => {
    const client = new WhatsAppClient({ accessToken: sb.accessToken, phoneNumberId: sb.phoneNumberId, baseUrl: sb.url });
    try {
      await graph.request('POST', sb.phoneNumberId, { json: { pin: '111111' } }); // an old PIN nobody remembers
      expect(await deregisterPhoneNumber(graph, sb.phoneNumberId)).toEqual({ success: true });
      const notRegistered = await thrown(client.sendTemplate('+15551230001', 'hello_world', 'en_US'));
      expect(notRegistered).toBeInstanceOf(GraphApiError);
      expect(notRegistered).toMatchObject({ graphCode: 133010 });
      expect(notRegistered.hint).toMatch(/set the two-step PIN, then register/);

      const start = sb.requests.length;
      const result = await registerPhoneNumber(graph, sb.phoneNumberId, { pin: '246810' });
      expect(result).toMatchObject({ registered: true, phone: { id: sb.phoneNumberId, status: 'CONNECTED', platformType: 'CLOUD_API' } });
      expect(result.warning).toBeUndefined();
      const flow = sb.requests.slice(start);
      expect(flow.map((r) => `${r.method} ${rel(r.path)}`)).toEqual([`POST ${sb.phoneNumberId}`, `POST ${sb.phoneNumberId}/register`, `GET ${sb.phoneNumberId}`]);
      expect(flow[0]!.body).toEqual({ pin: '246810' });
      expect(flow[1]!.body).toEqual({ messaging_product: 'whatsapp', pin: '246810' });
      expect(flow.every((r) => r.status === 200)).toBe(true);
      await client.sendTemplate('+15551230001', 'hello_world', 'en_US');
    } finally {
      await client.close();
    }
  });

  test('a PIN that is not 6 digits fails before any request', async () => {
    for (const pin of ['12345', '1234567', 'abcdef', '', undefined]) {
      const error = await thrown(registerPhoneNumber(graph, sb.phoneNumberId, { pin: pin as string }));
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.message).toMatch(/^pin: .*6 digits/);
    }
    expect(sb.requests).toHaveLength(0);
  });

  test('Meta\'s limit of 10 register/deregister calls per 72 h surfaces as 133016', async () => {
    for (let i = 0; i < 9; i++) await deregisterPhoneNumber(graph, sb.phoneNumberId);
    const result = await registerPhoneNumber(graph, sb.phoneNumberId, { pin: '246810' }); // the 10th call
    expect(result.registered).toBe(true);
    const limited = await thrown(registerPhoneNumber(graph, sb.phoneNumberId, { pin: '246810' }));
    expect(limited).toMatchObject({ graphCode: 133016, category: 'rate_limit' });
  });
});

describe('business profile', () => {
  test('get and update (Meta\'s field names, messaging_product added)', async () => {
    expect(await getBusinessProfile(graph, sb.phoneNumberId)).toMatchObject({ about: expect.any(String), vertical: 'PROF_SERVICES', websites: ['https://example.com/'] });
    expect(await updateBusinessProfile(graph, sb.phoneNumberId, { about: 'Open 9–5', websites: ['https://shop.example', 'https://help.example'], vertical: 'RETAIL', email: 'hi@shop.example' })).toEqual({ success: true });
    const post = sb.requests.at(-1)!;
    expect(post.body).toEqual({ messaging_product: 'whatsapp', about: 'Open 9–5', websites: ['https://shop.example', 'https://help.example'], vertical: 'RETAIL', email: 'hi@shop.example' });
    expect(await getBusinessProfile(graph, sb.phoneNumberId)).toMatchObject({ about: 'Open 9–5', vertical: 'RETAIL', email: 'hi@shop.example' });
  });

  test.each([
    [{ about: 'a'.repeat(140) }, 'about: 140 characters, the limit is 139'],
    [{ about: '' }, 'about: must not be empty'],
    [{ address: 'a'.repeat(257) }, 'address: 257 characters, the limit is 256'],
    [{ description: 'a'.repeat(257) }, 'description: 257 characters, the limit is 256'],
    [{ email: `${'a'.repeat(120)}@example.com` }, 'email: 132 characters, the limit is 128'],
    [{ email: 'not-an-email' }, 'email: "not-an-email" is not an email address'],
    [{ websites: ['https://a.example', 'https://b.example', 'https://c.example'] }, 'websites: 3 websites, the limit is 2'],
    [{ websites: [`https://example.com/${'a'.repeat(240)}`] }, 'websites[0]: 260 characters, the limit is 256'],
    [{ websites: ['ftp://example.com'] }, 'websites[0]: must be an http(s) URL'],
    [{ vertical: 'SPACESHIPS' }, 'vertical: "SPACESHIPS" is not one of OTHER'],
    [{ abuot: 'typo' }, 'abuot: is not a business profile field'],
    [{}, 'profile: nothing to update'],
  ])('%j is refused before any request', async (update, message) => {
    const error = await thrown(updateBusinessProfile(graph, sb.phoneNumberId, update as never));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain(message);
    expect(sb.requests).toHaveLength(0);
  });
});

describe('blocked users', () => {
  test('block (only users who wrote in the last 24 h: 139100 otherwise), list, unblock', async () => {
    const refused = await thrown(blockUsers(graph, sb.phoneNumberId, ['+15551239999']));
    expect(refused).toMatchObject({ graphCode: 139100, category: 'invalid_request' });
    await sb.inbound({ from: '15551230005', text: 'spam' });
    expect(await blockUsers(graph, sb.phoneNumberId, ['+1 555 123 0005'])).toEqual({ added: [{ input: '+15551230005', waId: '15551230005' }] });
    expect(sb.requests.at(-1)!.body).toEqual({ messaging_product: 'whatsapp', block_users: [{ user: '+15551230005' }] });
    expect(await listBlockedUsers(graph, sb.phoneNumberId)).toEqual(['15551230005']);
    expect(await unblockUsers(graph, sb.phoneNumberId, ['+15551230005'])).toEqual({ removed: [{ input: '+15551230005', waId: '15551230005' }] });
    expect(sb.requests.at(-1)!.method).toBe('DELETE');
    expect(await listBlockedUsers(graph, sb.phoneNumberId)).toEqual([]);
  });

  test('no users, or a user that is not a phone number, fails before any request', async () => {
    expect(await thrown(blockUsers(graph, sb.phoneNumberId, []))).toBeInstanceOf(ValidationError);
    expect((await thrown(unblockUsers(graph, sb.phoneNumberId, ['+1'])) as Error).message).toMatch(/^users\[0\]/);
    expect(sb.requests).toHaveLength(0);
  });
});

describe('health snapshot', () => {
  test('a healthy number: values, no advice', async () => {
    const health = await healthSnapshot(graph, sb.phoneNumberId);
    expect(health).toMatchObject({
      phoneNumberId: sb.phoneNumberId,
      qualityRating: 'GREEN',
      throughputLevel: 'STANDARD',
      messagingLimit: 'TIER_2K',
      nameStatus: 'APPROVED',
      codeVerificationStatus: 'VERIFIED',
      status: 'CONNECTED',
      canSendMessage: 'AVAILABLE',
      ok: true,
      advice: [],
    });
    expect(calls()).toEqual([`GET ${sb.phoneNumberId}`]);
  });

  test('plain-words advice for each value that is not green', async () => {
    await sb.setQualityRating('YELLOW');
    const yellow = await healthSnapshot(graph, sb.phoneNumberId);
    expect(yellow.ok).toBe(true);
    expect(yellow.advice).toEqual([{ field: 'qualityRating', value: 'YELLOW', level: 'warn', advice: expect.stringMatching(/opted in/) }]);

    await sb.setQualityRating('RED');
    const red = await healthSnapshot(graph, sb.phoneNumberId);
    expect(red.ok).toBe(false);
    expect(red.advice.map((a) => [a.field, a.value, a.level])).toEqual([
      ['qualityRating', 'RED', 'fail'],
      ['status', 'FLAGGED', 'fail'],
    ]);

    await sb.setQualityRating('GREEN');
    await deregisterPhoneNumber(graph, sb.phoneNumberId);
    const off = await healthSnapshot(graph, sb.phoneNumberId);
    expect(off.ok).toBe(false);
    expect(off.advice.map((a) => [a.field, a.value])).toEqual([
      ['status', 'DISCONNECTED'],
      ['canSendMessage', 'BLOCKED'],
    ]);
    expect(off.advice[0]!.advice).toMatch(/register it/);
  });
});
