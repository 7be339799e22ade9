// Runs after `tsc -b` (root `npm run build`):
// 1. replaces dist/lib/core.js (tsc's one-line re-export of @wa-cloud/core) with an esbuild bundle
//    of core and its dependencies, so the published package has no runtime dependencies and the
//    three node files share one copy of core;
// 2. copies the editor files (<node>.html) and locales/help next to the compiled .js, where
//    Node-RED looks for them;
// 3. fills the config node's field labels and help texts into its locale from the ONE credential
//    definition (through core's CREDENTIAL_FIELDS), so both adapters show the same words.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pkg, 'src');
const dist = join(pkg, 'dist');
const require = createRequire(join(pkg, 'package.json'));

await build({
  entryPoints: [join(src, 'lib', 'core.ts')],
  outfile: join(dist, 'lib', 'core.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: false,
  legalComments: 'inline',
  logLevel: 'warning',
  // The SQLite driver for Node 20 is native: installed as an optional dependency, never bundled.
  external: ['libsql'],
});

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

for (const file of walk(src)) {
  if (!/\.(html|json)$/.test(file)) continue;
  const target = join(dist, relative(src, file));
  mkdirSync(dirname(target), { recursive: true });
  cpSync(file, target);
}

const { CREDENTIAL_FIELDS, CREDENTIAL_TYPE } = require('@wa-cloud/core');
const localeFile = join(dist, 'whatsapp-cloud-config', 'locales', 'en-US', 'whatsapp-cloud-config.json');
const locale = JSON.parse(readFileSync(localeFile, 'utf8'));
const section = locale['whatsapp-cloud-config'];
section.fields = Object.fromEntries(
  CREDENTIAL_FIELDS.map((f) => [f.name, { label: f.displayName, description: f.description, placeholder: f.placeholder ?? f.default ?? '' }]),
);
section.documentationUrl = CREDENTIAL_TYPE.documentationUrl;
writeFileSync(localeFile, JSON.stringify(locale, null, 2) + '\n');

if (!existsSync(join(pkg, 'icons', 'whatsapp-cloud.svg'))) {
  throw new Error('icons/whatsapp-cloud.svg is missing: run the root build (scripts/copy-assets.mjs copies it)');
}
