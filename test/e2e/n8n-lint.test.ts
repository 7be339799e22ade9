/**
 * `n8n-node lint` (@n8n/node-cli 0.48.3, non-cloud config) over the n8n package: 0 errors and 0
 * warnings. The CLI cannot be installed in the repository (its n8n-workflow pulls isolated-vm,
 * which does not build on Node 20), so it lives in the git-ignored test/.harness/n8n-node-cli/,
 * installed once with Node 24, and lints a copy of the package's sources made next to it.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../harness/processes';
import { ensureNode24, HARNESS_DIR, npmEnv, REPO_ROOT, withLock } from '../harness/runtimes';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const CLI_VERSION = '0.48.3';
const PKG = path.join(REPO_ROOT, 'packages', 'n8n-nodes-whatsapp-cloud');

async function ensureNodeCli(nodeBin: string): Promise<string> {
  const dir = path.join(HARNESS_DIR, 'n8n-node-cli');
  const bin = path.join(dir, 'node_modules', '.bin', 'n8n-node');
  const marker = path.join(dir, `.installed-${CLI_VERSION}`);
  if (fs.existsSync(marker) && fs.existsSync(bin)) return dir;
  await withLock(path.join(HARNESS_DIR, 'n8n-node-cli.lock'), async () => {
    if (fs.existsSync(marker) && fs.existsSync(bin)) return;
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true }) + '\n');
    // npm_config_yes: a dependency's preinstall runs `npx only-allow pnpm`.
    await run('npm', ['install', `@n8n/node-cli@${CLI_VERSION}`, '--no-audit', '--no-fund'], {
      cwd: dir,
      env: npmEnv({ PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` }),
      timeoutMs: 10 * 60_000,
    });
    fs.writeFileSync(marker, CLI_VERSION);
  });
  return dir;
}

/** A copy of the package's sources inside the CLI folder, so eslint and its plugins resolve. */
function stageSources(cliDir: string): string {
  const stage = path.join(cliDir, 'pkg');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const entry of ['package.json', 'eslint.config.mjs', 'credentials', 'nodes']) {
    fs.cpSync(path.join(PKG, entry), path.join(stage, entry), { recursive: true });
  }
  // tsconfig paths made absolute (the copy is elsewhere); core resolves through a link.
  const tsconfig = JSON.parse(fs.readFileSync(path.join(PKG, 'tsconfig.json'), 'utf8'));
  tsconfig.extends = path.join(REPO_ROOT, 'tsconfig.base.json');
  tsconfig.references = [{ path: path.join(REPO_ROOT, 'packages', 'core') }];
  fs.writeFileSync(path.join(stage, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  fs.symlinkSync('../node_modules', path.join(stage, 'node_modules'));
  const coreLink = path.join(cliDir, 'node_modules', '@wa-cloud', 'core');
  fs.mkdirSync(path.dirname(coreLink), { recursive: true });
  fs.rmSync(coreLink, { recursive: true, force: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'packages', 'core'), coreLink);
  // Icons are build products (copied from the root icons/ folder), placed as the bundle places them.
  for (const dir of ['credentials', 'nodes/WhatsAppCloud', 'nodes/WhatsAppCloudTrigger', 'nodes/WhatsAppCloudHighVolumeTrigger', 'nodes/WhatsAppFlowEndpointTrigger']) {
    for (const icon of ['whatsapp-cloud.svg', 'whatsapp-cloud.dark.svg']) {
      fs.copyFileSync(path.join(REPO_ROOT, 'icons', icon), path.join(stage, dir, icon));
    }
  }
  return stage;
}

d('n8n-node lint', () => {
  it('passes with 0 errors and 0 warnings (non-cloud config)', async () => {
    const nodeBin = await ensureNode24();
    const cliDir = await ensureNodeCli(nodeBin);
    const stage = stageSources(cliDir);
    expect(fs.readFileSync(path.join(stage, 'eslint.config.mjs'), 'utf8')).toContain('configWithoutCloudSupport');
    // Without NODE_ENV: jest sets it to "test", which eslint-plugin-n8n-nodes-base reads as its own
    // test run (every file is then treated as every kind of node file).
    const env = npmEnv({ PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` });
    delete env.NODE_ENV;
    const res = await run(path.join(cliDir, 'node_modules', '.bin', 'n8n-node'), ['lint'], {
      cwd: stage,
      env,
      timeoutMs: 180_000,
      check: false,
    });
    // eslint prints "✖ N problems (E errors, W warnings)" when there is anything at all.
    const output = res.output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(output).not.toMatch(/\d+ problems?/);
    expect(output).not.toMatch(/\b(error|warning)\b\s+\S/);
    expect(res.code).toBe(0);
  }, 15 * 60_000);
});
