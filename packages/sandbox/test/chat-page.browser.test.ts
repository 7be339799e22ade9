/**
 * The chat page in a real headless Chromium (Debian's package, driven by playwright-core): send from the
 * API, see it on the page, tap a button, and check the signed webhook at a loopback receiver.
 * Without Chromium the test FAILS with the install command; WA_SKIP_BROWSER=1 has jest report it skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { checkAndShoot } from '../../../test/harness/pictures';
import { browserTest, requireChromium } from '../../../test/harness/prerequisites';
import { expectedSignature, send, setup } from './helpers';

const chatPageTest = browserTest('chat-page.browser.test.ts');

/** Where the screenshot goes (outside the repo). */
export const SCREENSHOT = join(tmpdir(), 'wa-cloud-sandbox-chat.png');

chatPageTest('chat page: API send appears with ticks, tapping a button delivers a signed webhook, typing a reply too', async () => {
  const executablePath = requireChromium();
  const { sb, rx, close } = await setup({ statusDelaysMs: { sent: 20, delivered: 40, read: 60 } });
  const userDir = mkdtempSync(join(tmpdir(), 'wa-sandbox-chromium-'));
  let browser: BrowserContext | undefined;
  try {
    const user = '15551230001';
    await sb.inbound({ from: user, text: 'Hi, is my order on its way?' }, { name: 'Ana Souza' });
    await send(sb, { to: user, type: 'template', template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'A-1042' }] }] } });
    const sent = await send(sb, {
      to: user,
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Delivery' },
        body: { text: 'Can we deliver tomorrow between 9 and 12?' },
        footer: { text: 'Sandbox Logistics' },
        action: { buttons: [{ type: 'reply', reply: { id: 'slot-yes', title: 'Yes, works' } }, { type: 'reply', reply: { id: 'slot-no', title: 'Another time' } }] },
      },
    });
    const wamid: string = sent.json.messages[0].id;
    await send(sb, { to: user, type: 'image', image: { link: 'https://example.com/parcel.jpg', caption: 'Your parcel' } });

    // A fresh, empty profile directory (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(userDir, {
      executablePath,
      viewport: { width: 1100, height: 720 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(`${sb.url}/`);
    await page.getByText('Hi Ana, your order A-1042 has shipped and is on its way.').waitFor({ timeout: 5000 });
    await page.getByText('Can we deliver tomorrow between 9 and 12?').waitFor();
    // Ticks: every business message reaches "read" (blue ✓✓).
    // Locators, not waitForFunction: the page's CSP forbids eval, which a string predicate needs.
    await page.locator('.row.biz .tick.read').nth(2).waitFor({ timeout: 5000 });
    expect(await page.locator('.row.biz .tick.read').count()).toBe(3);
    await page.screenshot({ path: SCREENSHOT });
    // The README's picture of the chat page (docs/images/manifest.json) still shows what it shows.
    expect(await checkAndShoot(page, 'sandbox-chat.png')).toEqual([]);

    await page.getByRole('button', { name: 'Yes, works' }).click();
    const posts = await rx.waitFor((p) => p.some((h) => h.json.entry[0].changes[0].value.messages?.[0]?.type === 'interactive'));
    const hit = posts.find((h) => h.json.entry[0].changes[0].value.messages?.[0]?.type === 'interactive')!;
    expect(hit.headers['x-hub-signature-256']).toBe(expectedSignature(hit.raw, sb.appSecret));
    const value = hit.json.entry[0].changes[0].value;
    expect(value.contacts[0]).toEqual({ profile: { name: 'Ana Souza' }, wa_id: user });
    expect(value.messages[0]).toMatchObject({ from: user, context: { id: wamid }, interactive: { type: 'button_reply', button_reply: { id: 'slot-yes', title: 'Yes, works' } } });

    await page.fill('#text', 'Thanks! 🙏');
    await page.press('#text', 'Enter');
    const all = await rx.waitFor((p) => p.some((h) => h.json.entry[0].changes[0].value.messages?.[0]?.text?.body === 'Thanks! 🙏'));
    const textHit = all.find((h) => h.json.entry[0].changes[0].value.messages?.[0]?.text?.body === 'Thanks! 🙏')!;
    expect(textHit.headers['x-hub-signature-256']).toBe(expectedSignature(textHit.raw, sb.appSecret));
    await page.getByText('Thanks! 🙏').waitFor();
  } finally {
    await browser?.close();
    await close();
    rmSync(userDir, { recursive: true, force: true });
  }
}, 30_000);
