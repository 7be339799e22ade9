/**
 * Test helpers: a loopback webhook receiver that records raw bodies and answers challenges, a small Graph
 * client, and a manual clock.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox, type SandboxOptions } from '../src';

/** One request the receiver got. */
export interface Hit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A webhook receiver on loopback. */
export interface Receiver {
  url: string;
  hits: Hit[];
  /** POSTs only. */
  posts(): Hit[];
  /** Resolves when `pred` holds for the recorded POSTs (polling), rejects after `ms`. */
  waitFor(pred: (posts: Hit[]) => boolean, ms?: number): Promise<Hit[]>;
  close(): Promise<void>;
}

/**
 * Starts a receiver. `status(n)` decides the HTTP status of the n-th POST (1-based; default 200);
 * GET challenges are echoed when `hub.verify_token` equals `verifyToken` (default the sandbox's).
 */
export async function startReceiver(
  opts: { status?: (n: number) => number; verifyToken?: string; challenge?: 'echo' | 'wrong' | 'forbid' } = {},
): Promise<Receiver> {
  const hits: Hit[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, raw, json });
      if (req.method === 'GET') {
        const u = new URL(req.url ?? '/', 'http://x');
        const mode = opts.challenge ?? 'echo';
        const tokenOk = u.searchParams.get('hub.verify_token') === (opts.verifyToken ?? 'sandbox-verify-token');
        if (mode === 'forbid' || !tokenOk || u.searchParams.get('hub.mode') !== 'subscribe') {
          res.writeHead(403).end('forbidden');
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(mode === 'echo' ? u.searchParams.get('hub.challenge') ?? '' : 'nope');
        }
        return;
      }
      posts++;
      res.writeHead(opts.status ? opts.status(posts) : 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const postHits = (): Hit[] => hits.filter((h) => h.method === 'POST');
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    hits,
    posts: postHits,
    async waitFor(pred, ms = 3000) {
      const start = Date.now();
      while (!pred(postHits())) {
        if (Date.now() - start > ms) throw new Error(`receiver: condition not met in ${ms} ms; got ${postHits().length} posts`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return postHits();
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A Graph answer. */
export interface GraphAnswer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls the sandbox's Graph API with the right token unless `token` says otherwise. */
export async function graph(
  sb: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; version?: string } = {},
): Promise<GraphAnswer> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? sb.accessToken : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${sb.url}/${opts.version ?? 'v23.0'}/${path.replace(/^\//, '')}`, { method, headers, body: payload });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** `POST /{phone}/messages`. */
export function send(sb: Sandbox, body: Record<string, unknown>): Promise<GraphAnswer> {
  return graph(sb, 'POST', `${sb.phoneNumberId}/messages`, { messaging_product: 'whatsapp', ...body });
}

/** A text send to `to`. */
export function sendText(sb: Sandbox, to: string, text = 'hello', extra: Record<string, unknown> = {}): Promise<GraphAnswer> {
  return send(sb, { to, type: 'text', text: { body: text }, ...extra });
}

/** A manual clock for `now`: time moves only when the test says so. */
export function manualClock(start = Date.UTC(2025, 9, 1, 12)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** HMAC the way a receiver must check it. */
export function expectedSignature(raw: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** Fast status delays for tests. */
export const FAST = { statusDelaysMs: { sent: 5, delivered: 10, read: 15 } } satisfies SandboxOptions;

/** Starts a sandbox with fast delays and the given options; returns it with a receiver wired in. */
export async function setup(
  options: SandboxOptions = {},
  receiverOpts: Parameters<typeof startReceiver>[0] = {},
): Promise<{ sb: Sandbox; rx: Receiver; close: () => Promise<void> }> {
  const rx = await startReceiver(receiverOpts);
  const sb = await startSandbox({ ...FAST, webhookUrl: rx.url, ...options });
  return { sb, rx, close: async () => void (await Promise.all([sb.close(), rx.close()])) };
}

/** The statuses[] of every status webhook the receiver got, flattened. */
export function statusesOf(rx: Receiver): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return rx
    .posts()
    .flatMap((h) => h.json.entry.flatMap((e: any) => e.changes.map((c: any) => c.value))) // eslint-disable-line @typescript-eslint/no-explicit-any
    .flatMap((v: any) => v.statuses ?? []); // eslint-disable-line @typescript-eslint/no-explicit-any
}
