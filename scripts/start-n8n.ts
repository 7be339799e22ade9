/**
 * `npm start -- --n8n` (also `npm run start:n8n`): the n8n user's first hour.
 *
 * A real n8n 2.41.1 on Node 24 (installed once into the test harness cache, E2E_HARNESS_DIR or
 * test/.harness, and shared with the tests), our package packed and installed into a temp user folder
 * like a community-node install, the sandbox (a local Graph API with a chat page where you play the
 * customer), the owner account, a WhatsApp Cloud API credential pointing at the sandbox, and the
 * package's example workflows imported and published. Prints the editor URL with the login, the chat
 * page URL and a curl for the CRM example. Ctrl-C stops n8n and the sandbox and removes the folder.
 *
 * With WA_ACCESS_TOKEN and WA_PHONE_NUMBER_ID (and WA_WABA_ID, WA_APP_SECRET, WA_VERIFY_TOKEN) the
 * credential points at Meta instead. The reply workflow's trigger registers its URL with Meta, which
 * needs a public https address: set WA_WEBHOOK_URL (e.g. your tunnel's https://… base) to publish it.
 *
 * Run by scripts/start.mjs, which bundles this file with esbuild (the harness is TypeScript).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSandbox, type Sandbox } from '../packages/sandbox/src';
import { N8nRest, type N8nOwner } from '../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';
import { importCredentials, importWorkflows, installCommunityPackage, newN8nId, startN8n, type N8nInstance } from '../test/harness/n8n';
import { bindExample, EXAMPLES, loadExample, triggerPath, webhookPath, type ExampleKey } from '../test/harness/n8n-examples';
import { run } from '../test/harness/processes';
import { ensureN8n, npmEnv, VERSIONS } from '../test/harness/runtimes';

const env = process.env;
const root = env.WA_REPO_ROOT ?? process.cwd();
const pkgDir = path.join(root, 'packages', 'n8n-nodes-whatsapp-cloud');
const host = '127.0.0.1';
const n8nPort = Number(env.N8N_DEMO_PORT ?? 5678);
const sandboxPort = Number(env.SANDBOX_PORT ?? 8787);
const useMeta = Boolean(env.WA_ACCESS_TOKEN && env.WA_PHONE_NUMBER_ID);
const publicBase = env.WA_WEBHOOK_URL?.replace(/\/+$/, '');

/** The demo's login, printed at start (the instance lives in a temp folder and dies with Ctrl-C). */
export const DEMO_OWNER: N8nOwner = { email: 'demo@wa-cloud.dev', firstName: 'Demo', lastName: 'User', password: 'WaCloud-demo-1' };

let sandbox: Sandbox | undefined;
let n8n: N8nInstance | undefined;
const tempDirs: string[] = [];
let stopping = false;

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('\nStopping…');
    await n8n?.stop().catch(() => undefined);
    await sandbox?.close().catch(() => undefined);
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    say('Stopped.');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main(): Promise<void> {
  say(`Preparing n8n ${VERSIONS.n8n} on Node 24 (the first run installs it into the harness cache: a few minutes)…`);
  await ensureN8n();

  // 1. The far side: the sandbox (the trigger registers its URL there when published), or Meta.
  let credentialData: Record<string, string>;
  if (useMeta) {
    credentialData = {
      accessToken: env.WA_ACCESS_TOKEN!,
      phoneNumberId: env.WA_PHONE_NUMBER_ID!,
      wabaId: env.WA_WABA_ID ?? '',
      appSecret: env.WA_APP_SECRET ?? '',
      verifyToken: env.WA_VERIFY_TOKEN ?? '',
      ...(env.WA_API_VERSION ? { apiVersion: env.WA_API_VERSION } : {}),
      ...(env.WA_BASE_URL ? { baseUrl: env.WA_BASE_URL } : {}),
    };
  } else {
    sandbox = await startSandbox({ port: sandboxPort, host, log: env.VERBOSE ? (line) => say(`[sandbox] ${line}`) : undefined });
    credentialData = {
      accessToken: sandbox.accessToken,
      phoneNumberId: sandbox.phoneNumberId,
      wabaId: sandbox.wabaId,
      appSecret: sandbox.appSecret,
      verifyToken: sandbox.verifyToken,
      baseUrl: sandbox.url,
    };
  }

  // 2. Our package, packed and installed like a community node.
  say('Installing @wa-cloud/n8n-nodes-whatsapp-cloud into a temp n8n user folder…');
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-cloud-n8n-pack-'));
  const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-cloud-n8n-'));
  tempDirs.push(packDir, userFolder);
  await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: pkgDir, env: npmEnv(), timeoutMs: 120_000 });
  const tgz = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack produced no tarball');
  await installCommunityPackage(userFolder, path.join(packDir, tgz));

  // 3. The credential (encrypted by n8n with the folder's own key) and the example workflows.
  say('Importing the credential and the example workflows…');
  const credential = { id: newN8nId(), name: useMeta ? 'WhatsApp Cloud API (Meta)' : 'WhatsApp Cloud API (sandbox)' };
  await importCredentials(userFolder, [{ ...credential, type: 'whatsAppCloudApi', data: credentialData }]);
  const keys = Object.keys(EXAMPLES) as ExampleKey[];
  const workflows = Object.fromEntries(keys.map((key) => [key, bindExample(loadExample(key, path.join(pkgDir, 'examples')), credential, { id: newN8nId() })]));
  await importWorkflows(userFolder, keys.map((key) => workflows[key]!));

  // 4. n8n itself; then the owner, and the workflows published the way the editor does.
  say(`Starting n8n on http://${host}:${n8nPort}/ …`);
  n8n = await startN8n({
    userFolder,
    port: n8nPort,
    readyTimeoutMs: 240_000,
    env: {
      ...(publicBase ? { WEBHOOK_URL: `${publicBase}/` } : {}),
      // The credential's Test button sends the token only to Meta or to origins listed here.
      ...(sandbox ? { WHATSAPP_CLOUD_TEST_BASE_URLS: sandbox.url } : {}),
      // As the n8n README advises for many status webhooks: an expression isolate only when an
      // expression runs, so the statuses the trigger absorbs do not each build one.
      N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true',
    },
  });
  n8n.process.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`n8n exited (${code}). Its last lines:\n${n8n!.logs().slice(-4000)}\n`);
      void stop(1);
    }
  });
  const rest = new N8nRest(n8n.url);
  await rest.login(DEMO_OWNER);
  // The reply trigger registers its URL with the phone number: with Meta that must be public https.
  const publish: ExampleKey[] = useMeta && !publicBase ? ['crm', 'approval', 'health'] : ['crm', 'reply', 'approval', 'health'];
  for (const key of publish) await rest.activate(workflows[key]!.id!);

  const base = `${n8n.url}`;
  say('');
  say(`  n8n editor        ${base}/`);
  say(`  Login             ${DEMO_OWNER.email} / ${DEMO_OWNER.password}`);
  if (sandbox) say(`  Sandbox chat page ${sandbox.url}/`);
  say(`  n8n user folder   ${userFolder} (removed when you stop)`);
  say('');
  say(`  Published: ${publish.map((key) => `"${workflows[key]!.name}"`).join(', ')}.`);
  say(`  Imported, not published: ${keys.filter((k) => !publish.includes(k)).map((key) => `"${workflows[key]!.name}"`).join(', ')}.`);
  say('');
  say('  Try the CRM example (a template send with the order number as reference):');
  say(`    curl -s -X POST ${base}${webhookPath(workflows.crm!, 'CRM: order shipped')} -H 'content-type: application/json' \\`);
  say(`      -d '{"phone":"+15551230001","name":"Ada","order":"#1042"}'`);
  if (sandbox) {
    say('  Then play the customer on the chat page: every text you type is answered by the reply workflow.');
    say('  Ask for an approval (answer with the buttons on the chat page):');
    say(`    curl -s -X POST ${base}${webhookPath(workflows.approval!, 'Approval request')} -H 'content-type: application/json' \\`);
    say(`      -d '{"phone":"+15551230001","request":"Refund #1042 (35 EUR)"}'`);
  } else if (publicBase) {
    say(`  The reply trigger answers at ${publicBase}${triggerPath(workflows.reply!)} (registered with your phone number).`);
  } else {
    say('  The reply workflow is not published: set WA_WEBHOOK_URL to a public https base that reaches this n8n to publish it.');
  }
  say('');
  say('  Ctrl-C stops everything.');
}

main().catch(async (error: unknown) => {
  process.stderr.write(`npm start -- --n8n: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
});
