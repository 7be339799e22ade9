/**
 * The account-health part of the action node (quality guard option, phone number register /
 * deregister / health, business profile, blocked users), run through the node's router with a
 * minimal execute context against the sandbox; assertions on what the sandbox received.
 */
import { BUSINESS_VERTICALS, QUALITY_DEFAULTS, QUALITY_MAX_HOLD_MS, sharedQualityGuard } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { router } from '../nodes/WhatsAppCloud/v1/actions/router';
import { WhatsAppCloud } from '../nodes/WhatsAppCloud/WhatsAppCloud.node';

let sandbox: Sandbox;
let executions = 0;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

function context(params: IDataObject, options: { continueOnFail?: boolean; items?: number } = {}): IExecuteFunctions {
  const node = { id: 'node-1', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0], parameters: {} };
  const credentials = { accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url };
  const execution = `exec-${++executions}`;
  return {
    getInputData: () => Array.from({ length: options.items ?? 1 }, () => ({ json: {} })),
    // Memory-only state unless a test says otherwise: assertions read core's process-wide guard.
    getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : name === 'sharedStore' ? 'memory' : fallback),
    getCredentials: async () => credentials,
    continueOnFail: () => options.continueOnFail ?? false,
    getNode: () => node,
    getExecutionId: () => execution,
  } as unknown as IExecuteFunctions;
}

async function run(params: IDataObject, options: { continueOnFail?: boolean; items?: number } = {}): Promise<INodeExecutionData[]> {
  const [items] = await router.call(context(params, options));
  return items!;
}

/** The sandbox requests made while `fn` ran. */
async function requestsDuring(fn: () => Promise<unknown>) {
  const start = sandbox.requests.length;
  await fn();
  return sandbox.requests.slice(start);
}

const phonePath = () => `/${sandbox.phoneNumberId}`;
const sends = <R extends { method: string; path: string }>(requests: ReadonlyArray<R>) => requests.filter((r) => r.method === 'POST' && r.path.endsWith(`${phonePath()}/messages`));

describe('descriptions', () => {
  const properties = () => new WhatsAppCloud().nodeVersions[1]!.description.properties;
  const operations = (resource: string) =>
    (properties().find((p) => p.name === 'operation' && p.displayOptions?.show?.resource?.includes(resource))!.options as Array<{ value: string }>).map((o) => o.value);

  it('has the account resources and operations', () => {
    const resources = (properties().find((p) => p.name === 'resource')!.options as Array<{ value: string }>).map((o) => o.value);
    expect(resources).toEqual(expect.arrayContaining(['phoneNumber', 'businessProfile', 'user']));
    expect(operations('phoneNumber').sort()).toEqual(['deregister', 'diagnose', 'getHealth', 'register']);
    expect(operations('businessProfile').sort()).toEqual(['get', 'update']);
    expect(operations('user').sort()).toEqual(['block', 'forget', 'list', 'unblock']);
    expect(properties().find((p) => p.name === 'pin')!.typeOptions?.password).toBe(true);
  });

  it('Quality Guard option: every rule switch, with core\'s defaults', () => {
    const field = properties().find((p) => p.name === 'qualityGuard')!;
    expect(field.type).toBe('collection');
    const defaults = Object.fromEntries((field.options as INodeProperties[]).map((o) => [o.name, o.default]));
    expect(defaults).toEqual({
      enabled: true,
      suppressUndeliverable: true,
      respectMarketingOptOut: true,
      marketingCoolDownHours: QUALITY_DEFAULTS.marketingCoolDownMs / 3_600_000,
      spamPauseHours: QUALITY_DEFAULTS.spamPauseMs / 3_600_000,
      yellowThroughputFactor: QUALITY_DEFAULTS.yellowThroughputFactor,
      allowSendsWhenRed: false,
    });
    // The editor's upper bound on the hour options is core's longest hold.
    const maxima = (field.options as INodeProperties[]).filter((o) => o.name.endsWith('Hours')).map((o) => o.typeOptions?.maxValue);
    expect(maxima).toEqual([QUALITY_MAX_HOLD_MS / 3_600_000, QUALITY_MAX_HOLD_MS / 3_600_000]);
  });

  it('business profile vertical: exactly core\'s BUSINESS_VERTICALS', () => {
    const update = properties().find((p) => p.name === 'updateFields')!;
    const vertical = (update.options as INodeProperties[]).find((o) => o.name === 'vertical')!;
    expect((vertical.options as Array<{ value: string }>).map((o) => o.value).sort()).toEqual([...BUSINESS_VERTICALS].sort());
  });
});

describe('quality guard on sends (shared guard)', () => {
  const text = (to: string, qualityGuard: IDataObject = {}) => ({
    resource: 'message',
    operation: 'sendText',
    to,
    text: 'hello',
    options: { windowPolicy: 'off', maxAttempts: 1 },
    qualityGuard,
  });

  it('holds a recipient Meta could not deliver to: an error with code, category and hint, no request', async () => {
    const to = '+15551230901';
    sandbox.failSends({ code: 131026, to, sync: true });
    const first = await requestsDuring(() => expect(run(text(to))).rejects.toThrow());
    expect(sends(first)).toHaveLength(1);
    expect(sends(first)[0]!.status).toBeGreaterThanOrEqual(400);

    // Next send: refused before any request; continueOnFail puts code / category / hint on the item.
    let out: INodeExecutionData[] = [];
    const second = await requestsDuring(async () => {
      out = await run(text(to), { continueOnFail: true });
    });
    expect(sends(second)).toHaveLength(0);
    // The hint names the switch as this node's settings do, not core's option path.
    const hint = 'To send anyway, switch the rule off (Quality Guard → Suppress Undeliverable Recipients: off).';
    expect(out[0]!.json.error).toMatchObject({ code: 'recipient_suppressed', category: 'recipient', hint: expect.stringContaining(hint) });

    // Without continueOnFail: an n8n error whose description is the hint.
    const error = await run(text(to)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as NodeOperationError).message).toMatch(/./);
    expect((error as NodeOperationError).description).toContain(hint);
    expect(await sharedQualityGuard().status(sandbox.phoneNumberId)).toMatchObject({ phoneNumberId: sandbox.phoneNumberId });
  });

  it('each rule switch and the master switch let the send through', async () => {
    const to = '+15551230902';
    sandbox.failSends({ code: 131026, to, sync: true });
    await expect(run(text(to))).rejects.toThrow();
    await expect(run(text(to))).rejects.toMatchObject({ description: expect.stringContaining('Suppress Undeliverable Recipients: off') });

    const off = await requestsDuring(() => run(text(to, { suppressUndeliverable: false })));
    expect(sends(off)).toHaveLength(1);
    expect(sends(off)[0]!.status).toBe(200);

    const disabled = await requestsDuring(() => run(text(to, { enabled: false })));
    expect(sends(disabled)).toHaveLength(1);
    expect(sends(disabled)[0]!.status).toBe(200);
  });

  it('an out-of-range rule value (from an expression) is refused naming the option, never clamped, and nothing is sent', async () => {
    const to = '+15551230903';
    for (const [qualityGuard, message] of [
      [{ marketingCoolDownHours: -1 }, 'Quality Guard → Marketing Cool-Down (Hours): -1 is not allowed, it must be a number of hours from 0 (rule off) to 8760'],
      [{ spamPauseHours: Number.NaN }, 'Quality Guard → Spam Pause (Hours): NaN is not allowed'],
      [{ yellowThroughputFactor: 2 }, 'Quality Guard → YELLOW Throughput Factor: 2 is not allowed, it must be above 0 and at most 1'],
    ] as const) {
      let error: unknown;
      const during = await requestsDuring(async () => {
        error = await run(text(to, qualityGuard)).catch((e: unknown) => e);
      });
      expect(error).toBeInstanceOf(NodeOperationError);
      expect((error as NodeOperationError).message).toContain(message);
      expect(sends(during)).toHaveLength(0);
    }
  });
});

describe('phone number', () => {
  it('register: sets the PIN, registers, then reads the status', async () => {
    let out: INodeExecutionData[] = [];
    const requests = await requestsDuring(async () => {
      out = await run({ resource: 'phoneNumber', operation: 'register', pin: '123456' });
    });
    expect(requests.map((r) => [r.method, r.path.replace(/^\/v[\d.]+/, '')])).toEqual([
      ['POST', phonePath()],
      ['POST', `${phonePath()}/register`],
      ['GET', phonePath()],
    ]);
    expect(requests[0]!.body).toMatchObject({ pin: '123456' });
    expect(requests[1]!.body).toMatchObject({ messaging_product: 'whatsapp', pin: '123456' });
    expect(out[0]!.json).toMatchObject({ registered: true });
    expect(JSON.stringify(out[0]!.json)).not.toContain('123456');
  });

  it('register: a PIN that is not 6 digits fails before any request', async () => {
    const requests = await requestsDuring(() =>
      expect(run({ resource: 'phoneNumber', operation: 'register', pin: '12' })).rejects.toMatchObject({ description: expect.any(String) }),
    );
    expect(requests).toHaveLength(0);
  });

  it('deregister', async () => {
    let out: INodeExecutionData[] = [];
    const requests = await requestsDuring(async () => {
      out = await run({ resource: 'phoneNumber', operation: 'deregister' });
    });
    expect(requests.map((r) => [r.method, r.path.replace(/^\/v[\d.]+/, '')])).toEqual([['POST', `${phonePath()}/deregister`]]);
    expect(out[0]!.json).toMatchObject({ success: true });
    await run({ resource: 'phoneNumber', operation: 'register', pin: '123456' }); // registered again for the others
  });

  it('health: rating, tier, advice for each non-green value, and the guard\'s view', async () => {
    await sandbox.setQualityRating('YELLOW');
    try {
      const [item] = await run({ resource: 'phoneNumber', operation: 'getHealth' });
      const json = item!.json;
      expect(json).toMatchObject({ rating: 'YELLOW', qualityRating: 'YELLOW', phoneNumberId: sandbox.phoneNumberId });
      expect(json.tier).toBeDefined();
      expect(json).toHaveProperty('throughputLevel');
      expect(json).toHaveProperty('messagingLimit');
      expect(json).toHaveProperty('nameStatus');
      expect(json).toHaveProperty('codeVerificationStatus');
      expect(json.advice).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'qualityRating', value: 'YELLOW', level: 'warn', advice: expect.any(String) })]));
      expect(json.guard).toMatchObject({ rating: 'YELLOW', throughputFactor: QUALITY_DEFAULTS.yellowThroughputFactor });
      expect(json).not.toHaveProperty('raw');
    } finally {
      await sandbox.setQualityRating('GREEN');
      await run({ resource: 'phoneNumber', operation: 'getHealth' });
    }
    expect(await sharedQualityGuard().status(sandbox.phoneNumberId)).toMatchObject({ rating: 'GREEN', throughputFactor: 1 });
  });
});

describe('business profile', () => {
  it('update sends only the added fields (websites split), get reads them back', async () => {
    let out: INodeExecutionData[] = [];
    const requests = await requestsDuring(async () => {
      out = await run({
        resource: 'businessProfile',
        operation: 'update',
        updateFields: { about: 'Open 9-5', websites: 'https://a.example.com, https://b.example.com', vertical: 'RETAIL' },
      });
    });
    const post = requests.find((r) => r.method === 'POST' && r.path.endsWith('/whatsapp_business_profile'))!;
    expect(post.body).toEqual({ messaging_product: 'whatsapp', about: 'Open 9-5', websites: ['https://a.example.com', 'https://b.example.com'], vertical: 'RETAIL' });
    expect(out[0]!.json).toMatchObject({ success: true, updated: ['about', 'vertical', 'websites'] });

    const [profile] = await run({ resource: 'businessProfile', operation: 'get' });
    expect(profile!.json).toMatchObject({ about: 'Open 9-5', vertical: 'RETAIL' });
  });

  it('update: a field over Meta\'s limit fails before any request; no field is an error too', async () => {
    const requests = await requestsDuring(async () => {
      await expect(run({ resource: 'businessProfile', operation: 'update', updateFields: { about: 'x'.repeat(140) } })).rejects.toThrow(/about/);
      await expect(run({ resource: 'businessProfile', operation: 'update', updateFields: {} })).rejects.toThrow(/No profile field/);
    });
    expect(requests).toHaveLength(0);
  });
});

describe('users', () => {
  it('block, list, unblock', async () => {
    const user = '+15551230950';
    sandbox.setWindow(user);
    const blocked = await requestsDuring(() => run({ resource: 'user', operation: 'block', users: user }));
    const post = blocked.find((r) => r.method === 'POST' && r.path.endsWith('/block_users'))!;
    expect(post.body).toMatchObject({ messaging_product: 'whatsapp', block_users: [{ user: expect.stringContaining('15551230950') }] });

    const [list] = await run({ resource: 'user', operation: 'list' });
    expect(list!.json.users).toEqual(expect.arrayContaining([expect.stringContaining('15551230950')]));

    const unblocked = await requestsDuring(() => run({ resource: 'user', operation: 'unblock', users: user }));
    expect(unblocked.some((r) => r.method === 'DELETE' && r.path.endsWith('/block_users'))).toBe(true);
    const [after] = await run({ resource: 'user', operation: 'list' });
    expect(after!.json.users).not.toEqual(expect.arrayContaining([expect.stringContaining('15551230950')]));
  });

  it('block: a user who did not write in 24 h is Meta\'s 139100, on the item with continueOnFail', async () => {
    const [item] = await run({ resource: 'user', operation: 'block', users: '+15551230951' }, { continueOnFail: true });
    expect(item!.json.error).toMatchObject({ code: expect.anything(), category: expect.any(String), message: expect.stringMatching(/./) });
    await expect(run({ resource: 'user', operation: 'block', users: ' , ' })).rejects.toThrow(/No user/);
  });
});
