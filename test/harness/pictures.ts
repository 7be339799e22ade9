/**
 * The README's pictures (docs/images/*.png) and what each one shows. docs/images/manifest.json
 * lists, per picture, the elements (a CSS selector and, optionally, a text it must contain) that are
 * on screen in it. The browser test that takes the picture checks every one of them right before
 * its screenshot, so a picture stops matching the editor (a renamed field, a missing picker, a
 * changed dialog) as soon as the structure changes: the test fails, and the picture is taken again.
 * Elements, not pixels: fonts, anti-aliasing and timestamps do not matter.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './runtimes';

export const PICTURES_DIR = path.join(REPO_ROOT, 'docs', 'images');

export interface PictureElement {
  selector: string;
  /** Text the element must contain (an input's value; for other elements, their text and their inputs' values). */
  text?: string;
}
export interface PictureEntry {
  /** What the picture shows, in words (the README's alt text). */
  title: string;
  /** The test file that takes it. */
  test: string;
  /** The part of the page the picture is cut to (a playwright selector); the whole viewport without it. */
  area?: string;
  shows: PictureElement[];
}

export function pictureManifest(): Record<string, PictureEntry> {
  const raw = JSON.parse(fs.readFileSync(path.join(PICTURES_DIR, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('$'))) as Record<string, PictureEntry>;
}

/** Where the browser tests save their screenshots: WA_SCREENSHOTS, or a temp folder. */
export function screenshotDir(): string {
  const dir = process.env.WA_SCREENSHOTS || path.join(os.tmpdir(), 'wa-cloud-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Checks that every element the committed picture `name` shows is on the page now, then saves a
 * fresh screenshot under the same name in screenshotDir() (copy it to docs/images/ to refresh it).
 * Returns what is missing, so the caller's expect() prints it.
 */
export async function checkAndShoot(page: Page, name: string): Promise<string[]> {
  const entry = pictureManifest()[name];
  if (!entry) return [`${name} is not in docs/images/manifest.json`];
  const missing: string[] = [];
  for (const element of entry.shows) {
    const locator = page.locator(element.selector).filter({ visible: true }).first();
    if ((await locator.count()) === 0) {
      missing.push(`${element.selector}: not visible`);
      continue;
    }
    if (element.text !== undefined) {
      // What a person sees: an input's value, or an element's text plus the values of its inputs.
      const text = await locator.evaluate((el) => {
        type Shown = { tagName: string; value?: string; innerText?: string; textContent: string | null; querySelectorAll(s: string): ArrayLike<Shown> };
        const e = el as unknown as Shown;
        if (['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName.toUpperCase())) return e.value ?? '';
        // SVG elements (Node-RED's flow) have no innerText.
        return [e.innerText ?? e.textContent ?? '', ...Array.from(e.querySelectorAll('input, select, textarea')).map((i) => i.value ?? '')].join('\n');
      });
      if (!text.includes(element.text)) missing.push(`${element.selector}: shows ${JSON.stringify(text.slice(0, 200))}, not ${JSON.stringify(element.text)}`);
    }
  }
  // No caret, no focus ring, no tooltip of the last field typed into.
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement?: { blur?: () => void } } }).document.activeElement?.blur?.());
  await page.waitForTimeout(300);
  const file = path.join(screenshotDir(), name);
  const area = entry.area ? page.locator(entry.area).first() : undefined;
  const box = entry.clip && area ? await area.boundingBox() : null;
  if (box && entry.clip) await page.screenshot({ path: file, clip: { x: box.x, y: box.y, width: Math.min(box.width, entry.clip.width), height: Math.min(box.height, entry.clip.height) } });
  else if (area) await area.screenshot({ path: file });
  else await page.screenshot({ path: file });
  return missing;
}

/** A screenshot that is not a README picture (for people debugging the test): screenshotDir()/<name>.png. */
export async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir(), `${name}.png`) });
}
