// `npm start` (after `npm run build`; run through scripts/start.mjs): a real Node-RED with @wa-cloud/node-red-whatsapp-cloud
// installed (packed and installed into a temp userDir, as a user install does) and the package's
// CRM and inbound-reply example flows, talking to the embedded sandbox (a local Graph API with a
// chat page where you play the customer). With WA_ACCESS_TOKEN and WA_PHONE_NUMBER_ID set (and
// WA_WABA_ID, WA_APP_SECRET, WA_VERIFY_TOKEN), the same flows talk to Meta instead.
//
// Secrets never touch the disk: the credentials file holds ${ENV} references, resolved by Node-RED
// from this process's environment. Ctrl-C stops Node-RED and the sandbox and removes the temp dir.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'packages', 'node-red-whatsapp-cloud');
const require = createRequire(join(root, 'package.json'));
const env = process.env;
const useMeta = Boolean(env.WA_ACCESS_TOKEN && env.WA_PHONE_NUMBER_ID);
const nodeRedPort = Number(env.NODE_RED_PORT ?? 1880);
const host = env.HOST ?? '127.0.0.1';

function fail(message) {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

if (!existsSync(join(pkgDir, 'dist', 'whatsapp-cloud-out', 'whatsapp-cloud-out.js'))) fail('the package is not built: run `npm run build` first.');
const redJs = (() => {
  try {
    return require.resolve('node-red/red.js');
  } catch {
    return fail('node-red is not installed at the root (it is a devDependency): run `npm install`.');
  }
})();

const userDir = mkdtempSync(join(tmpdir(), 'wa-cloud-node-red-'));
let sandbox;
let nodeRed;
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  if (nodeRed && nodeRed.exitCode === null) {
    nodeRed.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        nodeRed.kill('SIGKILL');
        resolve();
      }, 5000);
      nodeRed.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (sandbox) await sandbox.close();
  rmSync(userDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// 1. The far side: the sandbox, or Meta.
let connection;
if (useMeta) {
  connection = { phoneNumberId: env.WA_PHONE_NUMBER_ID, wabaId: env.WA_WABA_ID ?? '', baseUrl: env.WA_BASE_URL ?? '', apiVersion: env.WA_API_VERSION ?? '' };
} else {
  const sandboxEntry = join(root, 'packages', 'sandbox', 'dist', 'index.js');
  if (!existsSync(sandboxEntry)) fail('the sandbox is not built (packages/sandbox/dist): run `npm run build`.');
  const { startSandbox } = await import(pathToFileURL(sandboxEntry).href);
  sandbox = await startSandbox({ port: Number(env.SANDBOX_PORT ?? 8787), host, webhookUrl: `http://${host}:${nodeRedPort}/whatsapp` });
  connection = { phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url, apiVersion: '' };
  // Node-RED resolves the ${ENV} credentials from here.
  Object.assign(env, { WA_ACCESS_TOKEN: sandbox.accessToken, WA_APP_SECRET: sandbox.appSecret, WA_VERIFY_TOKEN: sandbox.verifyToken });
}

// 2. The package, packed and installed into the userDir like a palette install.
console.log('Installing @wa-cloud/node-red-whatsapp-cloud into a temp Node-RED user dir…');
const npmEnv = { ...env, npm_config_yes: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' };
for (const k of ['npm_config_workspace', 'npm_config_workspaces', 'npm_config_global', 'npm_config_prefix']) delete npmEnv[k];
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', userDir], { cwd: pkgDir, env: npmEnv, encoding: 'utf8' }).trim().split('\n').pop();
writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }, null, 2));
// Nothing is compiled: the SQLite driver for Node 20 (libsql) comes as a prebuilt npm package.
execFileSync('npm', ['install', '--omit=dev', join(userDir, tarball)], { cwd: userDir, env: npmEnv, stdio: ['ignore', 'ignore', 'inherit'] });

// 3. The example flows, with the config node on the sandbox (or Meta).
const example = (name) => JSON.parse(readFileSync(join(pkgDir, 'examples', name), 'utf8'));
const nodes = new Map();
for (const node of [...example('crm-webhook-template-send.json'), ...example('inbound-text-reply.json')]) nodes.set(node.id, node);
Object.assign(nodes.get('wa_cfg'), { name: useMeta ? 'Meta' : 'Sandbox', ...connection });
writeFileSync(join(userDir, 'flows.json'), JSON.stringify([...nodes.values()], null, 2));
writeFileSync(
  join(userDir, 'flows_cred.json'),
  JSON.stringify({ wa_cfg: { accessToken: '${WA_ACCESS_TOKEN}', appSecret: '${WA_APP_SECRET}', verifyToken: '${WA_VERIFY_TOKEN}' } }, null, 2),
);
writeFileSync(
  join(userDir, 'settings.js'),
  `module.exports = ${JSON.stringify(
    {
      uiHost: host,
      uiPort: nodeRedPort,
      userDir,
      flowFile: 'flows.json',
      credentialSecret: false,
      flowFilePretty: true,
      telemetry: { enabled: false, updateNotification: false },
      diagnostics: { enabled: false, ui: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      logging: { console: { level: 'info', metrics: false, audit: false } },
    },
    null,
    2,
  )};\n`,
);

// 4. Node-RED itself.
nodeRed = spawn(process.execPath, [redJs, '--settings', join(userDir, 'settings.js'), '--userDir', userDir], {
  cwd: userDir,
  env: { ...env, NODE_RED_ENABLE_PROJECTS: 'false' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
nodeRed.once('exit', (code) => {
  if (!stopping) {
    console.error(`Node-RED exited (${code}).`);
    stop(1);
  }
});
let started = false;
nodeRed.stdout.on('data', (chunk) => {
  const text = chunk.toString();
  if (env.VERBOSE || /\[(warn|error)\]/.test(text)) process.stdout.write(text);
  if (!started && text.includes('Started flows')) {
    started = true;
    const editor = `http://${host}:${nodeRedPort}/`;
    console.log('');
    console.log(`  Node-RED editor   ${editor}`);
    if (sandbox) {
      console.log(`  Sandbox chat page ${sandbox.url}/`);
      console.log('');
      console.log('  Play the customer on the chat page: every text you send is answered by the "reply" flow.');
      console.log('  Try the CRM flow (a template send):');
      console.log(`    curl -s -X POST ${editor}crm/order-shipped -H 'content-type: application/json' \\`);
      console.log(`      -d '{"phone":"+15551230001","name":"Ada","order":"#1042"}'`);
    } else {
      console.log(`  Talking to Meta as phone number ID ${connection.phoneNumberId}.`);
      console.log(`  Webhook: point your app's callback URL (https) at ${editor}whatsapp, verify token = $WA_VERIFY_TOKEN.`);
    }
    console.log('');
    console.log('  Ctrl-C stops everything.');
  }
});
