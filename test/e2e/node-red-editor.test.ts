/**
 * The editor dialogs in a REAL browser: Debian's Chromium (headless, driven by playwright-core)
 * against real Node-RED 4 (Node 20) with the packed package and the sandbox behind it.
 *  - send node: the template picker lists the APPROVED templates only, and picking one fills the
 *    name, language and one parameter row per parameter; the choices list adds/saves options;
 *  - config node: "Test connection" shows every check with its status; the Redis rows follow the
 *    shared-store select, and a password typed into the Redis URL moves into the credential; the
 *    "Quality guard" section shows core's defaults for a flow saved without it, marks a YELLOW
 *    throughput factor of 2 invalid (with the field and the limit), and saves a rule switched off;
 *  - account node: its dialog opens with the PIN row for "register";
 *  - no JavaScript error on the page. Screenshots go to WA_SCREENSHOTS (default: a temp dir).
 *
 * Runs only when /usr/bin/chromium exists; otherwise it prints one loud line and passes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { startNodeRed, type NodeRedInstance } from '../harness/node-red';
import { ensureNodeRed } from '../harness/runtimes';
import { checkAndShoot } from '../harness/pictures';
import { run, stopAll } from '../harness/processes';
import { requireChromium, SKIP_BROWSER } from '../harness/prerequisites';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'packages', 'node-red-whatsapp-cloud');
/** SKIP_E2E=1 or WA_SKIP_BROWSER=1: jest reports the tests as skipped; a missing Chromium fails them. */
const skipped = Boolean(process.env.SKIP_E2E) || SKIP_BROWSER;
const editorTest = skipped ? test.skip : test;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type Page = import('playwright-core').Page;
type Context = import('playwright-core').BrowserContext;

let sb: Sandbox;
let nr: NodeRedInstance;
let context: Context;
let page: Page;
let tmp: string;
let shots: string;
const pageErrors: string[] = [];

function flows(s: Sandbox) {
  return [
    { id: 'tab', type: 'tab', label: 'editor' },
    { id: 'cfg', type: 'whatsapp-cloud-config', name: 'sandbox', phoneNumberId: s.phoneNumberId, wabaId: s.wabaId, baseUrl: s.url, apiVersion: '', throughput: 80, windowPolicy: 'enforce', healthCheckMinutes: 0, fallbackTemplate: '', fallbackLanguage: 'en_US', store: 'none', redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'wa:', redisTls: false },
    { id: 'out', type: 'whatsapp-cloud-out', z: 'tab', name: '', config: 'cfg', to: '', mode: 'template', template: '', language: '', parameters: [], options: [], x: 300, y: 100, wires: [[]] },
    { id: 'in', type: 'whatsapp-cloud-in', z: 'tab', name: '', config: 'cfg', path: '/whatsapp', markRead: 'off', downloadMedia: false, x: 120, y: 100, wires: [[], [], []] },
    { id: 'account', type: 'whatsapp-cloud-account', z: 'tab', name: '', config: 'cfg', operation: 'health', x: 300, y: 180, wires: [[]] },
    ...replyExample(),
  ];
}

/**
 * The package's "reply to inbound text" example as shipped, on its own tab and on the test's config
 * node (for the README's picture of a flow). Its webhook path moves aside so it does not share the
 * `in` node's route.
 */
function replyExample(): Array<Record<string, unknown>> {
  const example = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, 'examples', 'inbound-text-reply.json'), 'utf8')) as Array<Record<string, unknown>>;
  return example
    .filter((n) => n.type !== 'whatsapp-cloud-config')
    .map((n) => ({ ...n, ...(n.config ? { config: 'cfg' } : {}), ...(n.type === 'whatsapp-cloud-in' ? { path: '/whatsapp-example' } : {}) }));
}

async function shot(name: string): Promise<string> {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Opens a node's edit dialog the way a double-click does. */
async function openEditor(id: string): Promise<void> {
  await page.evaluate((nodeId) => {
    const RED = (window as unknown as { RED: any }).RED;
    RED.editor.edit(RED.nodes.node(nodeId));
  }, id);
  await page.waitForSelector('.red-ui-tray .red-ui-tray-body form', { state: 'visible' });
}

async function closeEditor(button: 'done' | 'cancel'): Promise<void> {
  await page.click(`.red-ui-tray:last-child #node-dialog-${button === 'done' ? 'ok' : 'cancel'}, .red-ui-tray:last-child #node-config-dialog-${button === 'done' ? 'ok' : 'cancel'}`);
  await page.waitForTimeout(400);
}

beforeAll(async () => {
  if (skipped) {
    console.warn('\n!!! node-red-editor.test.ts is SKIPPED (SKIP_E2E or WA_SKIP_BROWSER set): the editor dialogs were NOT checked in a browser. !!!\n');
    return;
  }
  const executablePath = requireChromium();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-editor-'));
  shots = process.env.WA_SCREENSHOTS || path.join(tmp, 'screenshots');
  fs.mkdirSync(shots, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: PACKAGE_DIR, timeoutMs: 120_000 });
  const tarball = path.join(tmp, stdout.trim().split('\n').pop()!);
  await ensureNodeRed(4);
  sb = await startSandbox({});
  nr = await startNodeRed({ major: 4, flows: flows(sb), credentials: { cfg: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } }, packages: [tarball], settingsOverrides: { editorTheme: { tours: false } } });
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(`${nr.adminUrl}/`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => {
    const RED = (window as unknown as { RED?: any }).RED;
    return Boolean(RED && RED.nodes && RED.nodes.node && RED.nodes.node('out') && document.querySelector('#red-ui-workspace-chart'));
  }, undefined, { timeout: 60_000 });
  await page.waitForTimeout(500);
}, 10 * 60_000);

afterAll(async () => {
  await context?.close();
  await nr?.stop();
  await sb?.close();
  await stopAll();
  if (!process.env.WA_SCREENSHOTS && tmp) fs.rmSync(tmp, { recursive: true, force: true });
  else if (tmp) console.log(`[node-red-editor] screenshots in ${shots}`);
});

editorTest('the palette shows the four nodes', async () => {
  for (const type of ['whatsapp-cloud-out', 'whatsapp-cloud-in', 'whatsapp-cloud-account']) {
    expect(await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).count()).toBe(1);
  }
  await shot('01-workspace');
});

editorTest('the reply example flow, as shipped, opens on its own tab with every node wired', async () => {
  // The sidebar closed, so the whole flow fits the picture.
  await page.evaluate(() => {
    const RED = (window as unknown as { RED: any }).RED;
    RED.menu.setSelected('menu-item-sidebar', false);
    RED.workspaces.show('reply_tab');
  });
  await page.waitForTimeout(500);
  for (const id of ['reply_in', 'reply_switch', 'reply_text', 'reply_send', 'reply_choices', 'reply_catch']) {
    expect(await page.locator(`#red-ui-workspace-chart g.red-ui-flow-node[id="${id}"]`).count()).toBe(1);
  }
  expect(await page.locator('#red-ui-workspace-chart path.red-ui-flow-link-path').count()).toBeGreaterThanOrEqual(6);
  expect(await checkAndShoot(page, 'node-red-flow.png')).toEqual([]);
  await page.evaluate(() => {
    const RED = (window as unknown as { RED: any }).RED;
    RED.menu.setSelected('menu-item-sidebar', true);
    RED.workspaces.show('tab');
  });
  await page.waitForTimeout(300);
});

editorTest('send node: the template picker lists only APPROVED templates; picking one fills name, language and parameter rows', async () => {
  await openEditor('out');
  const select = page.locator('#node-input-whatsapp-cloud-templates');
  await page.waitForFunction(() => document.querySelectorAll('#node-input-whatsapp-cloud-templates option').length > 1, undefined, { timeout: 15_000 });
  const options = await select.locator('option').allTextContents();
  expect(options.join('\n')).toMatch(/order_update \(en, UTILITY\)/);
  expect(options.join('\n')).not.toContain('new_feature_announcement'); // PENDING in the sandbox
  const index = options.findIndex((o) => o.startsWith('order_update'));
  await select.selectOption({ index });
  await page.waitForTimeout(200);
  expect(await page.inputValue('#node-input-template')).toBe('order_update');
  expect(await page.inputValue('#node-input-language')).toBe('en');
  const keys = await page.locator('#node-input-parameters-container .whatsapp-cloud-param-key').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect(keys).toEqual(['body.1', 'body.2']);
  expect(await page.locator('#node-input-parameters-container .whatsapp-cloud-param-hint').count()).toBe(2);
  await shot('02-send-template-picker');
  await closeEditor('done');
  const saved = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('out');
    return { template: n.template, language: n.language, parameters: n.parameters };
  });
  expect(saved).toMatchObject({ template: 'order_update', language: 'en', parameters: [{ key: 'body.1', type: 'str' }, { key: 'body.2', type: 'str' }] });
}, 60_000);

editorTest('send node: choices mode shows the options list; added options are saved', async () => {
  await openEditor('out');
  await page.selectOption('#node-input-mode', 'choices');
  await page.waitForTimeout(200);
  expect(await page.isVisible('#node-input-prompt')).toBe(true);
  expect(await page.isVisible('#node-input-whatsapp-cloud-templates')).toBe(false);
  const add = page.locator('.node-input-options-container-row .red-ui-editableList-addButton');
  for (const [id, title] of [['yes', 'Yes please'], ['no', 'No thanks']]) {
    await add.click();
    await page.locator('#node-input-options-container .whatsapp-cloud-option-id').last().fill(id!);
    await page.locator('#node-input-options-container .whatsapp-cloud-option-title').last().fill(title!);
  }
  await page.fill('#node-input-prompt', 'Shall we ship today?');
  await shot('03-send-choices');
  await closeEditor('done');
  const saved = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('out');
    return { mode: n.mode, prompt: n.prompt, options: n.options };
  });
  expect(saved).toEqual({ mode: 'choices', prompt: 'Shall we ship today?', options: [{ id: 'yes', title: 'Yes please' }, { id: 'no', title: 'No thanks' }] });
}, 60_000);

editorTest('config node: the Quality guard section shows core\'s defaults, refuses a bad factor with its limit, and saves a switched-off rule', async () => {
  // The flow was saved before the section existed: the config node is still valid (no properties = the defaults).
  const before = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('cfg');
    return { valid: n.valid, respectMarketingOptOut: n.respectMarketingOptOut };
  });
  expect(before).toEqual({ valid: true, respectMarketingOptOut: undefined });
  await page.evaluate(() => (window as unknown as { RED: any }).RED.editor.editConfig('', 'whatsapp-cloud-config', 'cfg'));
  await page.waitForSelector('#whatsapp-cloud-quality-section', { state: 'visible' });
  await page.locator('#node-config-input-yellowThroughputFactor').scrollIntoViewIfNeeded();
  expect((await page.locator('#whatsapp-cloud-quality-section h4').innerText()).trim()).toBe('Quality guard');
  // ...and its dialog shows the defaults (not empty fields and unchecked boxes, which "Done" would save).
  const form = await page.evaluate(() => {
    const $ = (window as unknown as { $: any }).$;
    const checked = (id: string) => $('#node-config-input-' + id).prop('checked');
    const value = (id: string) => String($('#node-config-input-' + id).val());
    return {
      qualityGuard: checked('qualityGuard'),
      suppressUndeliverable: checked('suppressUndeliverable'),
      respectMarketingOptOut: checked('respectMarketingOptOut'),
      allowSendsWhenRed: checked('allowSendsWhenRed'),
      marketingCoolDownHours: value('marketingCoolDownHours'),
      spamPauseHours: value('spamPauseHours'),
      yellowThroughputFactor: value('yellowThroughputFactor'),
    };
  });
  expect(form).toEqual({ qualityGuard: true, suppressUndeliverable: true, respectMarketingOptOut: true, allowSendsWhenRed: false, marketingCoolDownHours: '24', spamPauseHours: '24', yellowThroughputFactor: '0.5' });
  const labels = await page.locator('.whatsapp-cloud-quality-rule label, #node-config-input-qualityGuard + label').allInnerTexts();
  for (const label of ['Enabled', 'Suppress undeliverable recipients', 'Respect marketing opt-out', 'Allow template sends while RED', 'Marketing cool-down', 'Spam pause', 'YELLOW throughput factor']) {
    expect(labels.map((l) => l.trim())).toContain(label);
  }
  // A factor of 2 is marked invalid; the validator's text (real Node-RED i18n) names the field and the limit.
  const factor = page.locator('#node-config-input-yellowThroughputFactor');
  await factor.fill('2');
  await factor.dispatchEvent('change');
  expect(await factor.getAttribute('class')).toContain('input-error');
  const reason = await page.evaluate(() => (window as unknown as { RED: any }).RED.nodes.getType('whatsapp-cloud-config').defaults.yellowThroughputFactor.validate('2', {}));
  expect(reason).toBe('YELLOW throughput factor: must be above 0 and at most 1');
  await shot('04-config-quality-guard-invalid');
  await factor.fill('0.5');
  await factor.dispatchEvent('change');
  expect(await factor.getAttribute('class') ?? '').not.toContain('input-error');
  await page.uncheck('#node-config-input-respectMarketingOptOut');
  await closeEditor('done');
  const saved = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('cfg');
    return { respectMarketingOptOut: n.respectMarketingOptOut, yellowThroughputFactor: String(n.yellowThroughputFactor), qualityGuard: n.qualityGuard, valid: n.valid };
  });
  expect(saved).toEqual({ respectMarketingOptOut: false, yellowThroughputFactor: '0.5', qualityGuard: true, valid: true });
}, 60_000);

editorTest('config node: Test connection shows every check with its status; Redis rows follow the store select', async () => {
  await page.evaluate(() => (window as unknown as { RED: any }).RED.editor.editConfig('', 'whatsapp-cloud-config', 'cfg'));
  await page.waitForSelector('#node-config-whatsapp-cloud-test', { state: 'visible' });
  expect(await page.isVisible('#node-config-input-redisUrl')).toBe(false);
  await page.click('#node-config-whatsapp-cloud-test');
  await page.waitForSelector('#node-config-whatsapp-cloud-test-result .whatsapp-cloud-check', { timeout: 20_000 });
  await page.waitForTimeout(200);
  const checks = await page.locator('#node-config-whatsapp-cloud-test-result .whatsapp-cloud-check').evaluateAll((els) =>
    els.map((e) => ({ id: e.getAttribute('data-check'), status: e.getAttribute('data-status'), text: (e as HTMLElement).innerText })),
  );
  expect(checks.length).toBeGreaterThan(3);
  expect(checks.find((c) => c.id === 'token')?.status).toBe('pass');
  for (const c of checks) expect(c.status).toMatch(/^(pass|warn|fail|unknown)$/);
  expect(checks.map((c) => c.text).join('\n')).not.toContain(sb.accessToken);
  await page.locator('#node-config-whatsapp-cloud-test-result').scrollIntoViewIfNeeded();
  await shot('05-config-test-connection');
  expect(await checkAndShoot(page, 'node-red-test-connection.png')).toEqual([]);

  await page.selectOption('#node-config-input-store', 'redis');
  expect(await page.isVisible('#node-config-input-redisUrl')).toBe(true);
  await page.fill('#node-config-input-redisUrl', 'redis://app:s3cr%40t@redis.internal:6380/2');
  await page.fill('#node-config-input-redisKeyPrefix', 'shop:');
  await page.locator('#node-config-input-redisUrl').scrollIntoViewIfNeeded();
  await shot('06-config-redis');
  await closeEditor('done');
  const saved = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('cfg');
    return { store: n.store, redisUrl: n.redisUrl, redisKeyPrefix: n.redisKeyPrefix, password: n.credentials && n.credentials.redisPassword };
  });
  expect(saved).toEqual({ store: 'redis', redisUrl: 'redis://app@redis.internal:6380/2', redisKeyPrefix: 'shop:', password: 's3cr@t' });
}, 60_000);

editorTest('account node: the dialog opens; the PIN row shows for "register" only', async () => {
  await openEditor('account');
  expect(await page.isVisible('#node-input-pin')).toBe(false);
  await page.selectOption('#node-input-operation', 'register');
  expect(await page.isVisible('#node-input-pin')).toBe(true);
  const values = await page.locator('#node-input-operation option').evaluateAll((options) => options.map((o) => (o as { value: string }).value));
  expect(values).toEqual(expect.arrayContaining(['health', 'listTemplates', 'createTemplate', 'deleteTemplate', 'msg']));
  const labels = await page.locator('#node-input-operation option').allTextContents();
  expect(labels).toHaveLength(values.length);
  for (const label of labels) expect(label).not.toMatch(/^whatsapp-cloud-account\./); // every i18n key resolved
  await shot('07-account');
  await closeEditor('cancel');
}, 60_000);

editorTest('webhook node: event and status checkboxes (a flow saved without them: all ticked), the Public URL row follows Registration; choices are saved', async () => {
  await openEditor('in');
  const ticked = (prefix: string) => page.$$eval(`input[id^='node-input-${prefix}-']`, (boxes) => boxes.map((b) => [(b as { value: string }).value, (b as { checked: boolean }).checked]));
  expect(await ticked('events')).toEqual(['messages', 'statuses', 'templateUpdates', 'accountUpdates', 'userPreferences', 'errors', 'other'].map((v) => [v, true]));
  expect(await ticked('statuses')).toEqual(['sent', 'delivered', 'read', 'played', 'failed'].map((v) => [v, true]));
  const labels = await page.locator('#node-input-whatsapp-cloud-events label, #node-input-whatsapp-cloud-statuses label').allTextContents();
  expect(labels).toHaveLength(12);
  for (const label of labels) expect(label).not.toMatch(/whatsapp-cloud-in\./); // every i18n key resolved
  // Unticking Statuses hides the status choices.
  await page.uncheck('#node-input-events-statuses');
  expect(await page.isVisible('#node-input-whatsapp-cloud-statuses')).toBe(false);
  await page.check('#node-input-events-statuses');
  await page.uncheck('#node-input-statuses-sent');
  await page.uncheck('#node-input-events-other');
  expect(await page.isVisible('#node-input-callbackUrl')).toBe(false);
  await page.selectOption('#node-input-registration', 'phoneNumberOverride');
  expect(await page.isVisible('#node-input-callbackUrl')).toBe(true);
  await page.fill('#node-input-callbackUrl', 'https://nodered.example.com/whatsapp');
  await page.check('#node-input-allNumbers');
  await shot('08-webhook');
  await closeEditor('done');
  const saved = await page.evaluate(() => {
    const n = (window as unknown as { RED: any }).RED.nodes.node('in');
    return { events: n.events, statuses: n.statuses, registration: n.registration, callbackUrl: n.callbackUrl, allNumbers: n.allNumbers, valid: n.valid };
  });
  expect(saved).toEqual({
    events: ['messages', 'statuses', 'templateUpdates', 'accountUpdates', 'userPreferences', 'errors'],
    statuses: ['delivered', 'read', 'played', 'failed'],
    registration: 'phoneNumberOverride',
    callbackUrl: 'https://nodered.example.com/whatsapp',
    allNumbers: true,
    valid: true,
  });
}, 60_000);

editorTest('no JavaScript error on the page; no unresolved i18n keys in the dialogs', async () => {
  expect(pageErrors).toEqual([]);
});
