/**
 * `node-red-dev validate` (the Node-RED flow library's scorecard) on the built package: every check
 * must pass. The tool exits 0 whatever it finds, so the scorecard JSON is read. It is installed in
 * test/.harness/node-red-dev/ (not at the root), and run with a preload that answers its two
 * network lookups from local data: the flow library catalogue (no similar names: empty) and the
 * npm document of node-red (built from the Node-RED 4 and 5 the end-to-end harness installs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HARNESS_DIR, ensureNodeRed, npmEnv, withLock } from '../../../test/harness/runtimes';
import { run } from '../../../test/harness/processes';

const PACKAGE_DIR = path.join(__dirname, '..');
const TOOL_DIR = path.join(HARNESS_DIR, 'node-red-dev');
const TOOL_VERSION = '0.1.6';

async function ensureTool(): Promise<string> {
  const bin = path.join(TOOL_DIR, 'node_modules', 'node-red-dev', 'bin', 'run');
  const marker = path.join(TOOL_DIR, '.harness-installed');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === TOOL_VERSION) return bin;
  return withLock(path.join(HARNESS_DIR, 'node-red-dev.lock'), async () => {
    if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === TOOL_VERSION) return bin;
    fs.rmSync(TOOL_DIR, { recursive: true, force: true });
    fs.mkdirSync(TOOL_DIR, { recursive: true });
    fs.writeFileSync(path.join(TOOL_DIR, 'package.json'), JSON.stringify({ private: true, devDependencies: { 'node-red-dev': TOOL_VERSION } }, null, 2));
    await run('npm', ['install', '--ignore-scripts'], { cwd: TOOL_DIR, env: npmEnv(), timeoutMs: 10 * 60_000 });
    fs.writeFileSync(marker, TOOL_VERSION);
    return bin;
  });
}

/** The registry document of node-red, as much of it as the scorecard reads. */
async function nodeRedDocument(): Promise<object> {
  const versions: Record<string, object> = {};
  const tags: Record<string, string> = {};
  for (const major of [4, 5] as const) {
    const runtime = await ensureNodeRed(major);
    const pkg = JSON.parse(fs.readFileSync(path.join(runtime.dir, 'node_modules', 'node-red', 'package.json'), 'utf8'));
    versions[pkg.version] = { version: pkg.version, engines: pkg.engines };
    tags[major === 5 ? 'latest' : 'maintenance'] = pkg.version;
  }
  return { name: 'node-red', 'dist-tags': tags, versions };
}

function preload(dir: string, nodeRed: object): string {
  const file = path.join(dir, 'offline-preload.js');
  fs.writeFileSync(
    file,
    `const axios = require(require.resolve('axios', { paths: [${JSON.stringify(path.join(TOOL_DIR, 'node_modules', 'node-red-dev'))}] }));
const answers = { 'https://catalogue.nodered.org/catalogue.json': { modules: [] }, 'https://registry.npmjs.org/node-red': ${JSON.stringify(nodeRed)} };
const get = axios.get.bind(axios);
axios.get = (url, ...rest) => (url in answers ? Promise.resolve({ data: answers[url] }) : get(url, ...rest));
`,
  );
  return file;
}

test('node-red-dev validate: every scorecard check passes', async () => {
  expect(fs.existsSync(path.join(PACKAGE_DIR, 'dist', 'whatsapp-cloud-out', 'whatsapp-cloud-out.html'))).toBe(true); // built by `npm test`
  const bin = await ensureTool();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-dev-'));
  const out = path.join(work, 'scorecard.json');
  const result = await run(process.execPath, ['-r', preload(work, await nodeRedDocument()), bin, 'validate', '-p', PACKAGE_DIR, '-o', out], {
    cwd: TOOL_DIR,
    timeoutMs: 120_000,
    check: false,
  });
  expect(fs.existsSync(out)).toBe(true);
  const scorecard = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, { test?: boolean }>;
  const checks = Object.entries(scorecard).filter(([key]) => /^[A-Z]\d\d$/.test(key));
  const failed = checks.filter(([, value]) => value.test !== true).map(([key, value]) => `${key} ${JSON.stringify(value)}`);
  expect({ failed, output: failed.length ? result.output : '' }).toEqual({ failed: [], output: '' });
  // The checks this version of the tool runs; a missing one means it stopped early.
  expect(checks.map(([key]) => key).sort()).toEqual(['D01', 'D02', 'D03', 'N01', 'N02', 'P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08']);
  fs.rmSync(work, { recursive: true, force: true });
}, 15 * 60_000);
