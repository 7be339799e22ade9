/**
 * Shared set-up for the node-red-node-test-helper tests: the three node modules wrapped to capture
 * the RED object (node routes live on `RED.httpNode`, which `helper.request()` does not reach), a
 * listening server for `RED.httpNode` (so the sandbox can deliver webhooks to the in-node), and
 * flows with a config node pointed at the sandbox.
 */
import { mkdtempSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/src';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const configModule = require('../src/whatsapp-cloud-config/whatsapp-cloud-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const outModule = require('../src/whatsapp-cloud-out/whatsapp-cloud-out');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const inModule = require('../src/whatsapp-cloud-in/whatsapp-cloud-in');

export interface Loaded {
  RED: any;
  /** A real listening server in front of `RED.httpNode` (for the sandbox's webhooks). */
  nodeUrl: string;
  close(): Promise<void>;
}

let captured: any;
const capture = (mod: (RED: unknown) => void) =>
  function (RED: unknown) {
    captured = RED;
    return mod(RED);
  };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const accountModule = require('../src/whatsapp-cloud-account/whatsapp-cloud-account');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const flowModule = require('../src/whatsapp-cloud-flow/whatsapp-cloud-flow');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const flowResponseModule = require('../src/whatsapp-cloud-flow-response/whatsapp-cloud-flow-response');
const modules = [capture(configModule), outModule, inModule, accountModule, flowModule, flowResponseModule];

/**
 * Loads a flow. The server in front of `RED.httpNode` listens before the flow starts, so a node that
 * registers its URL on start (Meta checks it at once) is reachable; a flow given as a function gets
 * that server's URL (e.g. for the in-node's public callback URL). `settings`: extra settings.js
 * entries for this runtime (e.g. the editor's `${NAME}` allow-list).
 */
export async function load(
  flow: object[] | ((nodeUrl: string) => object[]),
  credentials: Record<string, object> = {},
  settings: Record<string, unknown> = {},
): Promise<Loaded> {
  // A user folder of its own per flow, as a real Node-RED has: the embedded state store's file
  // goes there (never into the home folder, never shared between tests).
  helper.settings({ userDir: mkdtempSync(join(tmpdir(), 'wa-nr-test-')), ...settings });
  captured = undefined;
  // RED is captured when helper.load registers the node modules, before the flow starts.
  const server = http.createServer((req, res) => {
    if (captured?.httpNode) return captured.httpNode(req, res);
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const nodeUrl = `http://127.0.0.1:${port}`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  try {
    await helper.load(modules, typeof flow === 'function' ? flow(nodeUrl) : flow, credentials);
  } catch (error) {
    await close();
    throw error;
  }
  return { RED: captured, nodeUrl, close };
}

export function startServer(): Promise<void> {
  return new Promise((resolve) => helper.startServer(resolve));
}

export async function stop(loaded?: Loaded): Promise<void> {
  await helper.unload();
  await loaded?.close();
  await new Promise<void>((resolve) => helper.stopServer(resolve));
}

export function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, ...options });
}

/** A config node on the sandbox, its credentials keyed by id as `helper.load` takes them. */
/**
 * A config node on the sandbox. Memory-only state unless `props.store` says otherwise: these tests
 * open windows and read the guard through core's process-wide memory state (the embedded store has
 * its own tests, with a user folder of their own).
 */
export function configFor(sb: Sandbox, props: Record<string, unknown> = {}, id = 'cfg') {
  return {
    node: { id, type: 'whatsapp-cloud-config', name: 'sandbox', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url, throughput: 80, windowPolicy: 'enforce', store: 'memory', ...props },
    credentials: { [id]: { accessToken: sb.accessToken, appSecret: sb.appSecret, verifyToken: sb.verifyToken } },
  };
}

/** Resolves with the next msg a helper node receives. */
export function nextMessage(node: any, timeoutMs = 5000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${node.id} within ${timeoutMs} ms`)), timeoutMs);
    node.once('input', (msg: unknown) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

/** Collects every msg a helper node receives. */
export function collect(node: any): any[] {
  const seen: any[] = [];
  node.on('input', (msg: unknown) => seen.push(msg));
  return seen;
}

export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let counter = 0;
/** A fresh recipient per test: the window tracker and dedupe store are process-wide. */
export function uniqueUser(): string {
  counter += 1;
  return `1555${String(Date.now() % 1_000_000).padStart(6, '0')}${String(counter).padStart(2, '0')}`.slice(0, 15);
}
