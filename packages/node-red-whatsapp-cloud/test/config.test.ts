import * as fs from 'node:fs';
import * as path from 'node:path';
import { CREDENTIAL_FIELDS, SECRET_FIELDS } from '@wa-cloud/core';
import type { Sandbox } from '../../sandbox/src';
import { configFor, helper, load, sandbox, startServer, stop, type Loaded } from './helpers';
import { sharedStoreSettings } from '../src/lib/connection';

const SRC = path.join(__dirname, '..', 'src');
const read = (file: string) => fs.readFileSync(path.join(SRC, file), 'utf8');

describe('whatsapp-cloud-config admin endpoints', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
    const config = configFor(sb);
    loaded = await load([config.node], config.credentials);
  });
  afterEach(async () => {
    await stop(loaded);
    await sb.close();
  });

  test('templates: only APPROVED ones, each with the parameters a send needs; saved token used for the placeholder', async () => {
    const res = await helper
      .request()
      .post('/whatsapp-cloud/templates')
      .send({ id: 'cfg', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(res.status).toBe(200);
    const names = res.body.templates.map((t: { name: string }) => t.name);
    expect(names).toContain('order_update');
    expect(names).not.toContain('new_feature_announcement'); // PENDING
    const orderUpdate = res.body.templates.find((t: { name: string }) => t.name === 'order_update');
    expect(orderUpdate.parameters.map((p: { key: string }) => p.key)).toEqual(['body.1', 'body.2']);
    expect(JSON.stringify(res.body)).not.toContain(sb.accessToken);
  });

  test('templates for an unsaved config node use the typed token; a wrong one is reported with its hint', async () => {
    const typed = await helper.request().post('/whatsapp-cloud/templates').send({ accessToken: sb.accessToken, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(typed.status).toBe(200);
    const wrong = await helper.request().post('/whatsapp-cloud/templates').send({ accessToken: 'nope', wabaId: sb.wabaId, baseUrl: sb.url });
    expect(wrong.status).toBe(502);
    expect(wrong.body.error).toMatchObject({ category: 'auth' });
    expect(wrong.body.error.hint).toBeTruthy();
    const noWaba = await helper.request().post('/whatsapp-cloud/templates').send({ accessToken: sb.accessToken, baseUrl: sb.url });
    expect(noWaba.status).toBe(400);
  });

  test('diagnose (Test connection) returns every check with what it saw', async () => {
    const res = await helper.request().post('/whatsapp-cloud/diagnose').send({ id: 'cfg', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(res.status).toBe(200);
    expect(res.body.checks.length).toBeGreaterThan(3);
    for (const check of res.body.checks) expect(check).toMatchObject({ id: expect.any(String), title: expect.any(String), status: expect.stringMatching(/pass|warn|fail|unknown/) });
    expect(res.body.checks.find((c: { id: string }) => c.id === 'token').status).toBe('pass');
    expect(JSON.stringify(res.body)).not.toContain(sb.accessToken);
  });
});

describe('config node editor matches the one credential definition', () => {
  const html = read('whatsapp-cloud-config/whatsapp-cloud-config.html');
  const credentialsBlock = /credentials:\s*\{([\s\S]*?)\n\s*\},/.exec(html)![1]!;
  const defaultsBlock = /defaults:\s*\{([\s\S]*?)\n\s*\},/.exec(html)![1]!;

  test.each(CREDENTIAL_FIELDS.map((f) => [f.name, f.type] as const))('%s (%s) is in the form and stored the right way', (name, type) => {
    expect(html).toContain(`id="node-config-input-${name}"`);
    if (type === 'password') {
      expect(credentialsBlock).toMatch(new RegExp(`\\b${name}: \\{ type: "password"`));
      expect(html).toMatch(new RegExp(`<input type="password" id="node-config-input-${name}">`));
      expect(defaultsBlock).not.toMatch(new RegExp(`\\b${name}:`));
    } else {
      expect(defaultsBlock).toMatch(new RegExp(`\\b${name}:`));
      expect(credentialsBlock).not.toMatch(new RegExp(`\\b${name}:`));
    }
  });

  test('the runtime registers exactly the secret fields as credentials', () => {
    const registered: Record<string, unknown>[] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../src/whatsapp-cloud-config/whatsapp-cloud-config');
    mod({
      nodes: { registerType: (_t: string, _c: unknown, opts: Record<string, unknown>) => registered.push(opts) },
      httpAdmin: { post() {} },
      auth: { needsPermission: () => () => undefined },
    });
    expect(Object.keys(registered[0]!.credentials as object).sort()).toEqual([...SECRET_FIELDS, 'redisPassword'].sort());
  });

  test('every data-i18n key of every editor exists in its locale', () => {
    for (const name of ['whatsapp-cloud-config', 'whatsapp-cloud-out', 'whatsapp-cloud-in']) {
      const editor = read(`${name}/${name}.html`);
      const locale = JSON.parse(read(`${name}/locales/en-US/${name}.json`));
      for (const [, key] of editor.matchAll(/data-i18n="(?:\[placeholder\])?([^"]+)"/g)) {
        if (key!.startsWith('whatsapp-cloud-config.fields.')) continue; // filled from CREDENTIAL_FIELDS at build time
        const value = key!.split('.').reduce<any>((o, k) => (o ? o[k] : undefined), locale);
        expect([name, key, typeof value]).toEqual([name, key, 'string']);
      }
    }
  });
});

describe('shared store settings (Redis)', () => {
  const def = (props: Record<string, unknown>) => ({ id: 'c', type: 'whatsapp-cloud-config', ...props });

  test('embedded by default, and for flows saved with the old "none": nothing about Redis', () => {
    expect(sharedStoreSettings(def({}), {})).toEqual({ store: 'embedded', redisTls: false });
    expect(sharedStoreSettings(def({ store: 'none' }), {})).toEqual({ store: 'embedded', redisTls: false });
    expect(sharedStoreSettings(def({ store: 'memory' }), {})).toEqual({ store: 'memory', redisTls: false });
  });

  test('the password credential goes into the URL core connects with; TLS switches to rediss://; the address never shows it', () => {
    const s = sharedStoreSettings(def({ store: 'redis', redisUrl: 'redis://app@redis.internal:6380/2', redisKeyPrefix: 'shop:', redisTls: true }), { redisPassword: 'p@ss:w/rd' });
    expect(s).toMatchObject({ store: 'redis', redisKeyPrefix: 'shop:', redisAddress: 'redis.internal:6380', redisTls: true });
    expect(s.redisUrl).toBe('rediss://app:p%40ss%3Aw%2Frd@redis.internal:6380/2');
    const decoded = decodeURIComponent(new URL(s.redisUrl!).password);
    expect(decoded).toBe('p@ss:w/rd');
  });

  test('defaults: 127.0.0.1:6379 and prefix wa:; a bare host:port gets the scheme', () => {
    expect(sharedStoreSettings(def({ store: 'redis' }), {})).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'wa:' });
    expect(sharedStoreSettings(def({ store: 'redis', redisUrl: '10.0.0.5:7000' }), {}).redisUrl).toBe('redis://10.0.0.5:7000');
  });

  test('the editor stores the password as a credential, never in the flow', () => {
    const html = read('whatsapp-cloud-config/whatsapp-cloud-config.html');
    expect(/credentials:\s*\{([\s\S]*?)\n\s*\},/.exec(html)![1]).toMatch(/redisPassword: \{ type: "password" \}/);
    expect(/defaults:\s*\{([\s\S]*?)\n\s*\},/.exec(html)![1]).not.toMatch(/redisPassword/);
    expect(html).toContain('<input type="password" id="node-config-input-redisPassword">');
  });
});

describe('messaging-limit tier read when the config node starts', () => {
  let sb: Sandbox | undefined;
  let loaded: Loaded | undefined;
  beforeAll(() => startServer());
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb?.close();
    sb = undefined;
  });
  const fresh = () => String(Math.floor(1e14 + Math.random() * 9e14));
  const tierReads = (s: Sandbox) => s.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${s.phoneNumberId}`) && (r.query.fields ?? '').includes('whatsapp_business_manager_messaging_limit'));

  test.each([
    ['health checks off', { healthCheckMinutes: 0 }],
    ['the start health check', {}],
  ])('%s: the sandbox is asked for the tier at start, before any send, and the sends know it', async (_what, props) => {
    sb = await sandbox({ phoneNumberId: fresh(), wabaId: fresh() });
    await sb.setMessagingLimitTier('TIER_250');
    const config = configFor(sb, props);
    loaded = await load([config.node], config.credentials);
    const cfg = helper.getNode('cfg');
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = () => (cfg.shared.messagingLimit.tier(sb!.wabaId) ? resolve() : Date.now() - started > 3000 ? reject(new Error('tier not read at start')) : setTimeout(poll, 20));
      poll();
    });
    expect(tierReads(sb)).toHaveLength(1);
    expect(sb.messages).toHaveLength(0);
    expect(cfg.shared.messagingLimit.tier(sb.wabaId)).toBe('TIER_250');
  });

  test('a tier set on the config node is not asked for; a failed read at start is a warning without the token', async () => {
    sb = await sandbox({ phoneNumberId: fresh(), wabaId: fresh() });
    const config = configFor(sb, { healthCheckMinutes: 0, messagingLimitTier: 'TIER_1K' });
    loaded = await load([config.node], config.credentials);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tierReads(sb)).toHaveLength(0);
    await stop(loaded);
    loaded = undefined;

    // A wrong token: Meta answers 401; the node warns (once, no token) and carries on.
    const bad = configFor(sb, { healthCheckMinutes: 0 });
    bad.credentials.cfg!.accessToken = 'EAAG-wrong-token-secret';
    loaded = await load([bad.node], bad.credentials);
    const warned = () => helper.log().args.map((a: any[]) => a[0]).filter((e: any) => e.level === helper.log().WARN && e.id === 'cfg').map((e: any) => String(e.msg));
    const started = Date.now();
    while (warned().length === 0 && Date.now() - started < 3000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(warned()).toHaveLength(1);
    expect(warned()[0]).toMatch(/^Messaging limit tier not read at start/);
    expect(warned()[0]).not.toContain('EAAG-wrong-token-secret');
    expect(tierReads(sb)).toHaveLength(1);
  });
});
