/**
 * The README's pictures (docs/images/): each one is listed in manifest.json with the browser test
 * that checks its elements (test/harness/pictures.ts), is a real, small PNG, and is shown in the
 * README; no picture is committed without a manifest entry (it would never be checked).
 */
import * as fs from 'fs';
import * as path from 'path';
import { pictureManifest, PICTURES_DIR } from '../harness/pictures';
import { REPO_ROOT } from '../harness/runtimes';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_BYTES = 200 * 1024;

const manifest = pictureManifest();
const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

test.each(Object.keys(manifest))('%s: a small PNG, checked by its test, shown in the README', (name) => {
  const entry = manifest[name]!;
  const file = path.join(PICTURES_DIR, name);
  expect(fs.existsSync(file)).toBe(true);
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(bytes.length).toBeLessThan(MAX_BYTES);
  expect(entry.shows.length).toBeGreaterThan(0);
  // The test named in the manifest exists and takes this very picture.
  expect(fs.readFileSync(path.join(REPO_ROOT, entry.test), 'utf8')).toContain(`checkAndShoot(page, '${name}')`);
  expect(readme).toContain(`](docs/images/${name})`);
});

test('every picture in docs/images is in the manifest', () => {
  const pngs = fs.readdirSync(PICTURES_DIR).filter((f) => f.endsWith('.png'));
  expect(pngs.sort()).toEqual(Object.keys(manifest).sort());
});
