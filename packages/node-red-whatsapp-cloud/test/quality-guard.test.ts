/**
 * The config node's "Quality guard" section: every rule of core's quality guard can be switched off
 * on the config node, a refusal's hint names that field (not core's option), flows saved before the
 * section existed behave as before (core's defaults), and bad numbers are refused with the field and
 * the limit, in the editor (its validators) and at runtime. The far side is the sandbox; the guard
 * is fed the way it is in production (a signed `user_preferences` webhook through the in-node) or
 * through its manual controls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { QUALITY_DEFAULTS, isWhatsAppError, type QualityRefusalCode } from '@wa-cloud/core';
import { resolveQualityRules } from '../../core/src/quality';
import type { Sandbox } from '../../sandbox/src';
import { configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';
import { QUALITY_FIELD_DEFAULTS, QUALITY_FIELD_LABELS, QUALITY_MAX_HOURS, QUALITY_SECTION, QUALITY_SWITCHES, qualityOptions, type QualityField } from '../src/lib/quality';

const HOUR = 60 * 60 * 1000;
const SRC = path.join(__dirname, '..', 'src', 'whatsapp-cloud-config');
const editorHtml = fs.readFileSync(path.join(SRC, 'whatsapp-cloud-config.html'), 'utf8');
const locale = JSON.parse(fs.readFileSync(path.join(SRC, 'locales', 'en-US', 'whatsapp-cloud-config.json'), 'utf8'))['whatsapp-cloud-config'];
const help = fs.readFileSync(path.join(SRC, 'locales', 'en-US', 'whatsapp-cloud-config.html'), 'utf8');

const FIELDS = Object.keys(QUALITY_FIELD_LABELS) as QualityField[];
const OPT_OUT_SWITCH = 'config node → Quality guard → Respect marketing opt-out: off';

/**
 * Runs the editor's script as the browser would, with a RED that records the node definition and
 * translates with the real locale (Node-RED's `__name__` interpolation).
 */
function editorDefinition(): { defaults: Record<string, { value: unknown; validate?: (v: unknown, opt: object) => true | string }> } {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(editorHtml)![1]!;
  let definition: any;
  const translate = (key: string, options: Record<string, unknown> = {}) => {
    const value = key.split('.').reduce<any>((o, k) => (o ? o[k] : undefined), { 'whatsapp-cloud-config': locale });
    return typeof value === 'string' ? value.replace(/__(\w+)__/g, (_, name) => String(options[name])) : key;
  };
  const RED = {
    nodes: { registerType: (_type: string, def: unknown) => (definition = def), getType: () => ({ _: translate }) },
    validators: { number: () => () => true },
  };
  vm.runInNewContext(script, { RED, $: () => undefined });
  return definition;
}

describe('Quality guard settings: defaults, limits, labels', () => {
  const { defaults } = editorDefinition();

  test('the editor\'s defaults are core\'s QUALITY_DEFAULTS (hours for the durations)', () => {
    expect(defaults.marketingCoolDownHours!.value).toBe(QUALITY_DEFAULTS.marketingCoolDownMs / HOUR);
    expect(defaults.spamPauseHours!.value).toBe(QUALITY_DEFAULTS.spamPauseMs / HOUR);
    expect(defaults.yellowThroughputFactor!.value).toBe(QUALITY_DEFAULTS.yellowThroughputFactor);
    for (const field of FIELDS) expect([field, defaults[field]?.value]).toEqual([field, QUALITY_FIELD_DEFAULTS[field]]);
    // Every rule on, RED sends refused: what core does without options.
    expect(defaults).toMatchObject({ qualityGuard: { value: true }, suppressUndeliverable: { value: true }, respectMarketingOptOut: { value: true }, allowSendsWhenRed: { value: false } });
  });

  test('a flow saved before the section existed gives core no options; the editor\'s defaults give the same rules', () => {
    const old = { id: 'c', type: 'whatsapp-cloud-config', phoneNumberId: '1', throughput: 80 };
    expect(qualityOptions(old)).toEqual({});
    const saved = { ...old, ...Object.fromEntries(FIELDS.map((f) => [f, defaults[f]!.value])) };
    expect(resolveQualityRules(qualityOptions(saved))).toEqual(resolveQualityRules({}));
    // As the editor saves text inputs (strings) and as ${ENV} substitution leaves them.
    const asText = { ...old, ...Object.fromEntries(FIELDS.map((f) => [f, String(defaults[f]!.value)])) };
    expect(resolveQualityRules(qualityOptions(asText))).toEqual(resolveQualityRules({}));
  });

  test('every field converts to core\'s option (hours → ms, booleans as they are)', () => {
    expect(
      qualityOptions({ id: 'c', type: 't', qualityGuard: false, suppressUndeliverable: 'false', respectMarketingOptOut: false, allowSendsWhenRed: true, marketingCoolDownHours: '12', spamPauseHours: 0, yellowThroughputFactor: '1' }),
    ).toEqual({ enabled: false, suppressUndeliverable: false, respectMarketingOptOut: false, allowSendsWhenRed: true, marketingCoolDownMs: 12 * HOUR, spamPauseMs: 0, yellowThroughputFactor: 1 });
  });

  test.each([
    ['yellowThroughputFactor', 0, /YELLOW throughput factor: 0 is not allowed, it must be above 0 and at most 1/],
    ['yellowThroughputFactor', 2, /YELLOW throughput factor: 2 is not allowed, it must be above 0 and at most 1/],
    ['yellowThroughputFactor', '-0.5', /YELLOW throughput factor: "-0.5" is not allowed, it must be above 0 and at most 1/],
    ['yellowThroughputFactor', 'half', /YELLOW throughput factor: "half" is not allowed, it must be above 0 and at most 1/],
    ['marketingCoolDownHours', -1, /Marketing cool-down: -1 is not allowed, it must be a number of hours from 0 \(rule off\) to 8760/],
    ['spamPauseHours', '-24', /Spam pause: "-24" is not allowed, it must be a number of hours from 0 \(rule off\) to 8760/],
    ['spamPauseHours', 8761, /Spam pause: 8761 is not allowed, it must be a number of hours from 0 \(rule off\) to 8760/],
    ['respectMarketingOptOut', 'no', /Respect marketing opt-out: "no" is not allowed, it must be on or off/],
  ])('runtime: %s = %p is refused naming the field and the limit (never clamped)', (field, value, message) => {
    let thrown: unknown;
    try {
      qualityOptions({ id: 'c', type: 't', [field]: value });
    } catch (error) {
      thrown = error;
    }
    expect(isWhatsAppError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'invalid_option', category: 'validation' });
    expect((thrown as Error).message).toMatch(/^config node → Quality guard → /);
    expect((thrown as Error).message).toMatch(message);
  });

  test('editor validators: the same limits, with a message naming the field and the limit', () => {
    const hours = defaults.marketingCoolDownHours!.validate!;
    const factor = defaults.yellowThroughputFactor!.validate!;
    // Two arguments: Node-RED shows a returned string next to the field.
    expect(hours.length).toBe(2);
    expect(factor.length).toBe(2);
    for (const ok of ['0', '24', '0.5', String(QUALITY_MAX_HOURS), 24]) expect([ok, hours(ok, {})]).toEqual([ok, true]);
    for (const bad of ['-1', '8761', 'abc', '', '1e9']) expect([bad, hours(bad, {})]).toEqual([bad, 'Marketing cool-down: must be a number of hours from 0 (rule off) to 8760']);
    // A node saved before the section existed has no such property: valid (the runtime uses the default).
    expect(hours(undefined, {})).toBe(true);
    expect(factor(undefined, {})).toBe(true);
    expect(defaults.spamPauseHours!.validate!('-5', {})).toBe('Spam pause: must be a number of hours from 0 (rule off) to 8760');
    for (const ok of ['1', '0.5', '0.01', 0.5]) expect([ok, factor(ok, {})]).toEqual([ok, true]);
    for (const bad of ['0', '2', '-0.5', '1.01', 'x', '']) expect([bad, factor(bad, {})]).toEqual([bad, 'YELLOW throughput factor: must be above 0 and at most 1']);
  });

  test('labels: one wording for the editor, the errors and the hints; the help describes every field', () => {
    expect(locale.quality.title).toBe(QUALITY_SECTION);
    for (const field of FIELDS) {
      expect([field, locale.quality[field]]).toEqual([field, QUALITY_FIELD_LABELS[field]]);
      expect(editorHtml).toContain(`id="node-config-input-${field}"`);
      expect(editorHtml).toContain(`data-i18n="whatsapp-cloud-config.quality.${field}"`);
      expect(help).toContain(`: ${QUALITY_FIELD_LABELS[field]} (`);
    }
    expect(help).toContain('### Quality guard');
    for (const [code, switchName] of Object.entries(QUALITY_SWITCHES)) {
      expect(switchName).toMatch(/^config node → Quality guard → /);
      const label = switchName.replace(/^config node → Quality guard → /, '').replace(/: (on|off|0)$/, '');
      expect([code, FIELDS.some((f) => QUALITY_FIELD_LABELS[f] === label)]).toEqual([code, true]);
      expect(help).toContain(`\`${code}\``);
    }
    expect(QUALITY_SWITCHES.marketing_opted_out).toBe(OPT_OUT_SWITCH);
  });
});

/** config (+ quality props) → out → ok; in-node for the sandbox's webhooks; catch → err. */
function flow(sb: Sandbox, configProps: Record<string, unknown>) {
  const config = configFor(sb, { healthCheckMinutes: 0, ...configProps });
  return {
    nodes: [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'out', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-out', config: 'cfg', mode: 'auto', wires: [['ok']] },
      { id: 'in', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-in', config: 'cfg', path: '/quality-hook', wires: [[], [], []] },
      { id: 'ok', z: 'tab', x: 1, y: 1, type: 'helper' },
      { id: 'catch', z: 'tab', x: 1, y: 1, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
      { id: 'err', z: 'tab', x: 1, y: 1, type: 'helper' },
    ],
    credentials: config.credentials,
  };
}

/** The sandbox's MARKETING template, in Graph shape (body {{1}}, URL button {{1}}). */
const springSale = {
  type: 'template',
  template: {
    name: 'spring_sale',
    language: { code: 'en' },
    components: [
      { type: 'body', parameters: [{ type: 'text', text: '20%' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'spring' }] },
    ],
  },
};

let phoneCounter = 0;
/** A phone number ID per sandbox: the guard is process-wide and the rating and pause are per number. */
const freshPhone = () => `20${String(process.pid % 100_000).padStart(5, '0')}${String(++phoneCounter).padStart(8, '0')}`;

describe('Quality guard on the config node, against the sandbox', () => {
  let sb: Sandbox | undefined;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb?.close();
    sb = undefined;
  });

  async function run(configProps: Record<string, unknown> = {}) {
    sb = await sandbox({ phoneNumberId: freshPhone() });
    const f = flow(sb, configProps);
    loaded = await load(f.nodes, f.credentials);
    sb.setWebhookUrl(`${loaded.nodeUrl}/quality-hook`);
    return { sb, out: helper.getNode('out'), ok: helper.getNode('ok'), err: helper.getNode('err'), cfg: helper.getNode('cfg') };
  }

  const sendsTo = (s: Sandbox, user: string) => s.messages.filter((m) => m.waId === user);
  const messagePosts = (s: Sandbox) => s.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));

  test('defaults (a flow without the fields): a MARKETING template to a user who tapped "Stop promotions" is refused before any request; the hint names the config node field', async () => {
    const { sb, out, ok, err } = await run();
    const user = uniqueUser();
    // The user stops marketing: a signed user_preferences webhook through the in-node feeds the guard.
    expect(await sb.setMarketingPreference(user, 'stop')).toBe(200);
    const caught = nextMessage(err);
    out.receive({ to: user, payload: springSale });
    const msg = await caught;
    expect(msg.error.code).toBe('marketing_opted_out');
    expect(msg.error.cause).toMatchObject({ code: 'marketing_opted_out', category: 'recipient' });
    expect(msg.error.cause.hint).toContain(`switch the rule off (${OPT_OUT_SWITCH})`);
    expect(msg.error.message).toContain(OPT_OUT_SWITCH);
    // Core's option name is of no use in Node-RED: it is not shown.
    expect(JSON.stringify(msg.error)).not.toContain('quality.respectMarketingOptOut');
    expect(sendsTo(sb, user)).toHaveLength(0);
    expect(messagePosts(sb)).toHaveLength(0);
    // The rule is about marketing: a UTILITY template to the same user still goes.
    const sent = nextMessage(ok);
    out.receive({ to: user, payload: { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
    await sent;
    expect(sendsTo(sb, user).map((m) => (m.body as any).template.name)).toEqual(['hello_world']);
  });

  test('"Respect marketing opt-out" off on the config node: the same send reaches the sandbox', async () => {
    const { sb, out, ok, err, cfg } = await run({ respectMarketingOptOut: false });
    const user = uniqueUser();
    expect(await sb.setMarketingPreference(user, 'stop')).toBe(200);
    // The guard did record the opt-out: only the rule is off.
    await expect(cfg.shared.qualityGuard.store.getExpiry(`quality:optout:${sb.phoneNumberId}:${user}`)).resolves.toBeDefined();
    const errors: any[] = [];
    err.on('input', (m: any) => errors.push(m));
    const sent = nextMessage(ok);
    out.receive({ to: user, payload: springSale });
    const msg = await sent;
    expect(errors).toEqual([]);
    expect(sendsTo(sb, user)).toHaveLength(1);
    expect(sendsTo(sb, user)[0]!.body).toMatchObject({ type: 'template', template: { name: 'spring_sale' } });
    expect(msg.whatsapp.messageId).toBe(sendsTo(sb, user)[0]!.id);
  });

  // Each rule fed through the guard's manual controls; with defaults the send is refused with the
  // config node field in the hint, with that field switched the same send reaches the sandbox.
  const RULES: Array<[QualityRefusalCode, Record<string, unknown>, (guard: any, phone: string, user: string) => Promise<unknown>]> = [
    ['recipient_suppressed', { suppressUndeliverable: false }, (g, phone, user) => g.suppress(phone, `+${user}`)],
    ['marketing_opted_out', { respectMarketingOptOut: false }, (g, phone, user) => g.optOut(phone, `+${user}`)],
    ['marketing_cooling_down', { marketingCoolDownHours: 0 }, (g, phone, user) => g.recordFailure(phone, `+${user}`, 131049)],
    ['marketing_paused', { spamPauseHours: 0 }, (g, phone) => g.pauseMarketing(phone)],
    ['number_quality_red', { allowSendsWhenRed: true }, (g, phone) => g.setRating(phone, 'RED')],
  ];

  test.each(RULES)('%s: refused with defaults (hint names the field), sent with %p on the config node', async (code, switched, feed) => {
    for (const props of [{}, switched]) {
      const { sb, out, ok, err, cfg } = await run(props);
      const user = uniqueUser();
      await feed(cfg.shared.qualityGuard, sb.phoneNumberId, user);
      if (props === switched) {
        const sent = nextMessage(ok);
        out.receive({ to: user, payload: springSale });
        await sent;
        expect(sendsTo(sb, user)).toHaveLength(1);
      } else {
        const caught = nextMessage(err);
        out.receive({ to: user, payload: springSale });
        const msg = await caught;
        expect(msg.error.code).toBe(code);
        expect(msg.error.cause.hint).toContain(`(${QUALITY_SWITCHES[code]})`);
        expect(msg.error.cause.hint).not.toContain('quality.');
        expect(sendsTo(sb, user)).toHaveLength(0);
        expect(messagePosts(sb)).toHaveLength(0);
      }
      await stop(loaded);
      loaded = undefined;
      await sb.close();
      await startServer();
    }
    sb = undefined;
  });

  test('"Enabled" off switches every rule off', async () => {
    const { sb, out, ok, cfg } = await run({ qualityGuard: false });
    const user = uniqueUser();
    await cfg.shared.qualityGuard.suppress(sb.phoneNumberId, `+${user}`);
    await cfg.shared.qualityGuard.optOut(sb.phoneNumberId, `+${user}`);
    const sent = nextMessage(ok);
    out.receive({ to: user, payload: springSale });
    await sent;
    expect(sendsTo(sb, user)).toHaveLength(1);
  });

  test('every field reaches the client as core\'s option', async () => {
    const { cfg } = await run({ qualityGuard: true, suppressUndeliverable: false, respectMarketingOptOut: false, allowSendsWhenRed: true, marketingCoolDownHours: '12', spamPauseHours: 0.5, yellowThroughputFactor: '0.25' });
    expect(cfg.client.qualityRules).toEqual({ enabled: true, suppressionMs: 0, respectMarketingOptOut: false, marketingCoolDownMs: 12 * HOUR, spamPauseMs: HOUR / 2, yellowThroughputFactor: 0.25, allowSendsWhenRed: true });
  });

  test('a flow without the fields gets exactly core\'s default rules', async () => {
    const { cfg } = await run();
    expect(cfg.client.qualityRules).toEqual(resolveQualityRules({}, cfg.shared.qualityGuard));
    expect(cfg.client.qualityRules).toMatchObject({ enabled: true, respectMarketingOptOut: true, allowSendsWhenRed: false, marketingCoolDownMs: 24 * HOUR, spamPauseMs: 24 * HOUR, yellowThroughputFactor: 0.5 });
  });

  test.each([
    [{ yellowThroughputFactor: 0 }, 'YELLOW throughput factor: 0 is not allowed, it must be above 0 and at most 1'],
    [{ yellowThroughputFactor: 2 }, 'YELLOW throughput factor: 2 is not allowed, it must be above 0 and at most 1'],
    [{ marketingCoolDownHours: -1 }, 'Marketing cool-down: -1 is not allowed, it must be a number of hours from 0 (rule off) to 8760'],
    [{ spamPauseHours: '-3' }, 'Spam pause: "-3" is not allowed, it must be a number of hours from 0 (rule off) to 8760'],
  ])('a bad number on the config node (%p) is refused: logged, status "config invalid", every send fails naming the field and the limit, nothing sent', async (props, message) => {
    const { sb, out, err, cfg } = await run(props);
    expect(cfg.client).toBeUndefined();
    const logged = helper.log().args.map((a: any[]) => a[0]).filter((entry: any) => entry.level === helper.log().ERROR && entry.id === 'cfg');
    expect(logged.map((e: any) => e.msg).join('\n')).toContain(`config node → Quality guard → ${message}`);
    // What every node of the config shows when it registers.
    const shown: any[] = [];
    cfg.register({ id: 'probe', status: (s: unknown) => shown.push(s) });
    expect(shown).toEqual([{ fill: 'red', shape: 'ring', text: 'config invalid' }]);
    cfg.deregister({ id: 'probe' });
    const statuses: any[] = [];
    out.on('call:status', (call: any) => statuses.push(call.args[0]));
    const caught = nextMessage(err);
    out.receive({ to: uniqueUser(), payload: springSale });
    const msg = await caught;
    expect(msg.error.code).toBe('invalid_option');
    expect(msg.error.cause.category).toBe('validation');
    expect(msg.error.message).toContain(`config node → Quality guard → ${message}`);
    expect(msg.error.message).toMatch(/Open the config node and set Quality guard → /);
    await waitFor(() => statuses.some((s) => s.text === 'invalid_option'), 2000, 'error status');
    expect(sb.requests).toHaveLength(0);
  });
});
