/**
 * n8n's editor in a REAL browser: Debian's Chromium (headless, driven by playwright-core) against real
 * n8n 2.41.1 with the packed package and a sandbox whose WhatsApp Business Account has more templates
 * than one page of Graph results, some of them not APPROVED. As a person would:
 *  - log in through the sign-in form;
 *  - create the WhatsApp Cloud API credential through its form: a wrong token shows our words
 *    (what to do), no stack; the right one shows "Connection tested successfully";
 *  - add WhatsApp Cloud → "Send a template" from the nodes panel by searching "WhatsApp";
 *  - the template picker lists APPROVED templates only, from every page (one past the first 100);
 *  - picking order_update and its language shows one labelled field per template variable;
 *  - "Execute step" sends it: the output shows the message ID the sandbox accepted, and the sandbox
 *    got the values typed into the fields;
 *  - the trigger of the reply example shows its test and production webhook URLs;
 *  - no console error of ours (n8n's own known noise is listed below, with why).
 * Pictures: see test/harness/pictures.ts (docs/images/manifest.json).
 *
 * Without Chromium (apt-get install -y chromium) every test FAILS with the install command;
 * WA_SKIP_BROWSER=1 has them reported as skipped (test/harness/prerequisites.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_TEMPLATES, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { packPackage } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';
import { importCredentials, importWorkflows, installCommunityPackage, makeN8nUserFolder, newN8nId, startN8n, type N8nInstance } from '../harness/n8n';
import { bindExample, loadExample, triggerPath, type ExampleWorkflow } from '../harness/n8n-examples';
import { checkAndShoot, shoot } from '../harness/pictures';
import { requireChromium, SKIP_BROWSER } from '../harness/prerequisites';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';

/** SKIP_E2E=1 or WA_SKIP_BROWSER=1: reported as skipped; a missing Chromium FAILS (test/harness/prerequisites.ts). */
const skipped = Boolean(process.env.SKIP_E2E) || SKIP_BROWSER;
const d = skipped ? describe.skip : describe;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The name n8n gives a new credential of our type. */
const CREDENTIAL_NAME = 'WhatsApp Cloud account';
const OWNER = { email: 'editor@e2e.test', firstName: 'Eve', lastName: 'Editor', password: 'Editor-password-1' };

type Page = import('playwright-core').Page;
type Context = import('playwright-core').BrowserContext;

/**
 * n8n's own console noise, not ours: the frontend asks the npm registry about every installed
 * community package (unreachable offline: a failed load of a non-local URL), the sign-in page's
 * "am I logged in?" call answers 401, and n8n 2.41's canvas logs an internal store warning when a
 * saved workflow is opened from the list.
 */
const N8N_NOISE: Array<(text: string, url: string) => boolean> = [
  (text, url) => /Failed to load resource/.test(text) && url !== '' && !/^https?:\/\/127\.0\.0\.1[:/]/.test(url),
  (text, url) => /status of 401/.test(text) && /\/rest\/login$/.test(url),
  (text) => /injectNDVStore\(\) was accessed without an active workflow document store/.test(text),
];

/** Templates beyond the first Graph page (100): the last APPROVED one is only on page 2. */
const FILLERS = Array.from({ length: 110 }, (_, i) => ({
  name: `campaign_${String(i + 1).padStart(3, '0')}`,
  language: 'en',
  status: 'APPROVED',
  category: 'MARKETING',
  components: [{ type: 'BODY', text: `Campaign ${i + 1} is live.` }],
}));
const LAST_PAGE = { name: 'zz_last_page_notice', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Found on page two.' }] };
const NOT_APPROVED = [
  { name: 'pending_promo', language: 'en', status: 'PENDING', category: 'MARKETING', components: [{ type: 'BODY', text: 'Pending.' }] },
  { name: 'rejected_promo', language: 'en', status: 'REJECTED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Rejected.' }] },
];

let sb: Sandbox;
let n8n: N8nInstance;
let userFolder: string;
let packDir: string;
let profile: string;
let context: Context;
let page: Page;
let reply: ExampleWorkflow;
const consoleErrors: string[] = [];
let loggedIn = false;

d('n8n editor in Chromium: credential form, nodes panel, template picker, parameter fields, execute, trigger URLs', () => {
  beforeAll(async () => {
    const executablePath = requireChromium(); // before minutes of n8n start-up
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sb = await startSandbox({ templates: [...DEFAULT_TEMPLATES, ...NOT_APPROVED, ...FILLERS, LAST_PAGE], statusDelaysMs: { sent: 20, delivered: null, read: null } });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    // The reply example (for its trigger's URLs) uses a credential imported beforehand; the test
    // creates its own through the form.
    const [imported] = await importCredentials(userFolder, [
      { name: 'WhatsApp (imported)', type: 'whatsAppCloudApi', data: { accessToken: sb.accessToken, phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, appSecret: sb.appSecret, verifyToken: sb.verifyToken, baseUrl: sb.url } },
    ]);
    reply = bindExample(loadExample('reply'), { id: imported!, name: 'WhatsApp (imported)' }, { id: newN8nId() });
    await importWorkflows(userFolder, [reply]);
    // The credential test sends the token only to Meta or to an origin the operator lists.
    n8n = await startN8n({ userFolder, readyTimeoutMs: 240_000, env: { WHATSAPP_CLOUD_TEST_BASE_URLS: sb.url } });
    // The owner exists before the browser comes (a fresh n8n shows its set-up form instead).
    const setup = await fetch(`${n8n.url}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
    if (!setup.ok) throw new Error(`owner set-up failed: ${setup.status} ${await setup.text()}`);

    const { chromium } = await import('playwright-core');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-editor-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${String(error)}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const url = message.location().url ?? '';
      if (N8N_NOISE.some((known) => known(message.text(), url))) return;
      consoleErrors.push(`${message.text().slice(0, 500)} (${url})`);
    });
  }, 15 * 60_000);

  afterAll(async () => {
    await context?.close();
    await stopAll();
    await sb?.close();
    for (const dir of [userFolder, packDir, profile]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('logs in through the sign-in form', async () => {
    await page.goto(`${n8n.url}/signin`);
    await page.fill('#emailOrLdapLoginId', OWNER.email);
    await page.fill('#password', OWNER.password);
    await page.click('[data-test-id="form-submit-button"]');
    await page.waitForURL(/\/home\//, { timeout: 60_000 });
    loggedIn = true;
  }, 120_000);

  test('credential form: a wrong token shows what to do (no stack); the right one tests green', async () => {
    expect(loggedIn).toBe(true);
    await page.goto(`${n8n.url}/home/credentials`);
    await page.click('[data-test-id="add-resource-credential"]');
    await page.waitForSelector('[data-test-id="selectCredential-modal"]');
    await page.keyboard.type('WhatsApp Cloud API');
    await page.locator('[data-test-id="new-credential-type-select-option"]', { hasText: /^WhatsApp Cloud API$/ }).click();
    await page.click('[data-test-id="new-credential-type-button"]');
    const dialog = page.locator('[data-test-id="credential-edit-dialog"]');
    const field = (name: string) => dialog.locator(`[data-test-id="parameter-input-${name}"] input`);
    // The labels of the one credential definition, in order.
    const labels = await dialog.locator('[data-test-id="credential-connection-parameter"] label, [data-test-id="credential-connection-parameter"] [data-test-id="input-label"]').allInnerTexts();
    for (const label of ['Access Token', 'Phone Number ID', 'WhatsApp Business Account ID', 'App Secret', 'Verify Token', 'API Version', 'Base URL']) {
      expect(labels.join('\n')).toContain(label);
    }
    expect(await field('accessToken').getAttribute('type')).toBe('password');
    await field('accessToken').fill('EAAwrong-token');
    await field('phoneNumberId').fill(sb.phoneNumberId);
    await field('wabaId').fill(sb.wabaId);
    await field('baseUrl').fill(sb.url);
    await page.locator('[data-test-id="credential-save-button"]').click();
    await dialog.getByText('More details').click();
    const failure = await page.locator('[data-test-id="credential-edit-dialog"], .el-dialog').filter({ hasText: 'Couldn' }).first().innerText();
    expect(failure).toMatch(/access token has expired or is invalid: generate a new permanent System User token/);
    expect(failure).not.toMatch(/\n\s+at |Error:|\.ts:\d+|node_modules/);
    expect(failure).not.toContain('EAAwrong-token');

    await field('accessToken').fill(sb.accessToken);
    await page.locator('[data-test-id="credential-save-button"]').click();
    const success = dialog.locator('[data-test-id="credentials-config-container-test-success"]').filter({ visible: true });
    await success.waitFor({ timeout: 30_000 });
    expect(await success.innerText()).toContain('Connection tested successfully');
    await shoot(page, 'n8n-credential');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(500);
  }, 120_000);

  test('nodes panel: searching "WhatsApp" finds WhatsApp Cloud; its actions include "Send a template"', async () => {
    expect(loggedIn).toBe(true);
    await page.goto(`${n8n.url}/workflow/new`);
    await page.click('[data-test-id="canvas-add-button"]');
    await page.keyboard.type('Manual');
    await page.locator('[data-test-id="node-creator"] [data-test-id="item-iterator-item"]', { hasText: 'Manual Trigger' }).click();
    await page.waitForTimeout(1000);
    if (await page.locator('[data-test-id="ndv"]').isVisible()) await page.keyboard.press('Escape');
    await page.click('[data-test-id="node-creator-plus-button"]');
    await page.keyboard.type('WhatsApp');
    // The action node, not n8n's own WhatsApp Business Cloud nor our High-Volume Trigger.
    const ours = page.locator('[data-test-id="node-creator"] [data-test-id="item-iterator-item"]', { hasText: 'WhatsApp Cloud' }).filter({ hasNotText: 'Business' }).filter({ hasNotText: 'High-Volume' });
    await ours.waitFor();
    await ours.click();
    const actions = page.locator('[data-test-id="node-creator"] [data-test-id="item-iterator-item"]');
    await actions.filter({ hasText: 'Send a template' }).waitFor();
    const names = await actions.allInnerTexts();
    for (const action of ['Send a text message', 'Send a template', 'Send message and wait for response', 'Send choices', 'Get phone number health']) expect(names).toContain(action);
    await actions.filter({ hasText: 'Send a template' }).click();
    await page.waitForSelector('[data-test-id="ndv"]');
    expect(await page.locator('[data-test-id="parameter-input-operation"] input').inputValue()).toBe('Send Template');
  }, 120_000);

  test('template picker: APPROVED templates only, from every page; order_update shows one labelled field per variable', async () => {
    expect(loggedIn).toBe(true);
    // The credential made through the form (two exist).
    await page.click('[data-test-id="node-credentials-select"]');
    await page.locator('[data-test-id^="node-credentials-select-item-"]', { hasText: CREDENTIAL_NAME }).filter({ visible: true }).first().click();
    await page.waitForTimeout(500);
    const chosen = await page.locator('[data-test-id="node-credentials-select"]').evaluate((el) => (el.querySelector('input') as unknown as { value?: string } | null)?.value || (el as unknown as { innerText: string }).innerText);
    expect(chosen.trim()).toBe(CREDENTIAL_NAME);

    await page.click('[data-test-id="resource-locator-templateName"] [data-test-id="rlc-input"]');
    const items = page.locator('[data-test-id="rlc-item"]');
    await items.first().waitFor({ timeout: 30_000 });
    const listed = await items.allInnerTexts();
    expect(listed).toContain('order_update (en)');
    expect(listed).toContain('hello_world (en_US)');
    expect(listed.join('\n')).not.toMatch(/pending_promo|rejected_promo|new_feature_announcement/);
    // Page two of the Graph API's list: reachable through the picker's search.
    await page.locator('[data-test-id="rlc-search"] input, input[data-test-id="rlc-search"]').first().fill('zz_last');
    await page.waitForTimeout(1500);
    expect(await items.allInnerTexts()).toEqual(['zz_last_page_notice (en)']);
    await page.locator('[data-test-id="rlc-search"] input, input[data-test-id="rlc-search"]').first().fill('pending');
    await page.waitForTimeout(1500);
    expect(await items.count()).toBe(0);
    await page.locator('[data-test-id="rlc-search"] input, input[data-test-id="rlc-search"]').first().fill('order_up');
    await items.filter({ hasText: 'order_update (en)' }).click();

    // The languages are loaded for the chosen template: on a busy machine the list can open before
    // n8n has taken the new template and stay empty, so close it and open it again.
    const language = page.locator('.el-select-dropdown__item:visible', { hasText: 'positional parameters' });
    for (let attempt = 1; ; attempt++) {
      await page.click('[data-test-id="parameter-input-languageCode"]');
      try {
        await language.first().waitFor({ timeout: 15_000 });
        break;
      } catch (error) {
        if (attempt === 3) throw error;
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1000);
      }
    }
    expect(await page.locator('.el-select-dropdown__item:visible').allInnerTexts()).toEqual(['en\nUTILITY, positional parameters']);
    await language.first().click();

    const mapper = page.locator('[data-test-id="resource-mapper-container"]');
    await mapper.locator('[data-test-id="parameter-input-body-2"]').waitFor({ timeout: 30_000 });
    const fieldLabels = await mapper.locator('[data-test-id="input-label"] label, [data-test-id="input-label"] .n8n-input-label, [data-test-id="input-label"]').evaluateAll((els) =>
      [...new Set(els.map((e) => (e as unknown as { innerText: string }).innerText.split('\n')[0]!.trim()).filter((t) => t.startsWith('Body')))],
    );
    expect(fieldLabels).toEqual(['Body {{1}} — e.g. Ana', 'Body {{2}} — e.g. A-1042']);
    expect(await mapper.locator('[data-test-id^="parameter-input-body-"] input').count()).toBe(2);

    await page.locator('[data-test-id="parameter-input-to"] input').fill('+15551230077');
    await mapper.locator('[data-test-id="parameter-input-body-1"] input').fill('Grace');
    await mapper.locator('[data-test-id="parameter-input-body-2"] input').fill('#2001');
    await page.waitForTimeout(500);
    expect(await checkAndShoot(page, 'n8n-send-template.png')).toEqual([]);
  }, 180_000);

  test('"Execute step" sends the template: the output shows the message ID the sandbox accepted', async () => {
    expect(loggedIn).toBe(true);
    const before = sb.messages.length;
    await page.click('[data-test-id="node-execute-button"]');
    const output = page.locator('[data-test-id="output-panel"]');
    await output.getByText(/wamid\./).first().waitFor({ timeout: 60_000 });
    expect(sb.messages.length).toBe(before + 1);
    const sent = sb.messages[sb.messages.length - 1]!;
    expect(await output.innerText()).toContain(sent.id);
    expect(sent.body).toMatchObject({
      to: '+15551230077',
      template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Grace' }, { type: 'text', text: '#2001' }] }] },
    });
    await shoot(page, 'n8n-execute-step');
    await page.keyboard.press('Escape');
  }, 120_000);

  test('the WhatsApp trigger shows its test and production webhook URLs', async () => {
    expect(loggedIn).toBe(true);
    await page.goto(`${n8n.url}/workflow/${reply.id}`);
    const trigger = page.locator('[data-test-id="canvas-node"][data-node-name="WhatsApp Trigger"]');
    await trigger.waitFor({ timeout: 60_000 });
    await trigger.dblclick();
    await page.waitForSelector('[data-test-id="ndv"]');
    await page.getByText('Webhook URLs').click();
    const urls = page.locator('.node-webhooks .webhook-url');
    await urls.first().waitFor();
    const path = triggerPath(reply); // /webhook/<webhookId>/whatsapp
    expect((await urls.allInnerTexts()).map((u) => u.trim())).toEqual([`${n8n.url}${path.replace('/webhook/', '/webhook-test/')}`, `${n8n.url}${path.replace('/webhook/', '/webhook-test/')}`]);
    expect((await page.locator('.node-webhooks .http-method').allInnerTexts()).map((m) => m.trim())).toEqual(['GET', 'POST']);
    await page.click('.node-webhooks [data-test-id="radio-button-production"]');
    await page.waitForTimeout(300);
    expect((await urls.allInnerTexts()).map((u) => u.trim())).toEqual([`${n8n.url}${path}`, `${n8n.url}${path}`]);
    await shoot(page, 'n8n-trigger-urls');
    await page.keyboard.press('Escape');
  }, 120_000);

  test('no console error of ours on any page', async () => {
    expect(loggedIn).toBe(true);
    expect(consoleErrors).toEqual([]);
  });
});
