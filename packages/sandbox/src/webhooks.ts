/**
 * Webhook delivery as Meta does it (api-facts §1): the body is serialised once, signed with
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(appSecret, exact bytes)>`, POSTed, and redelivered with
 * exponential backoff until the receiver answers 200. Every redelivery sends the identical bytes, so a
 * receiver's dedupe can be tested. Also the GET `hub.challenge` verification Meta performs on callback URLs.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Json, WebhookDelivery } from './types';

/** Serialises like Meta: compact JSON, non-ASCII escaped as lowercase `\uXXXX` (UTF-16 units). */
export function serialiseWebhook(payload: Json, escapeUnicode: boolean): string {
  const s = JSON.stringify(payload);
  return escapeUnicode ? s.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : s;
}

/** `sha256=<hex>` of the exact body bytes. */
export function signBody(body: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

interface SendResult {
  status: number;
  body: string;
}

/** Low-level HTTP(S) calls with their own agents, so `close()` can destroy every socket. */
export class HttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: false });
  private readonly httpsAgent = new https.Agent({ keepAlive: false });
  private readonly inflight = new Set<http.ClientRequest>();
  private closed = false;

  /** One request; resolves with status 0 on network error or timeout (never rejects). */
  request(method: string, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<SendResult> {
    return new Promise((resolve) => {
      if (this.closed) return resolve({ status: 0, body: '' });
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return resolve({ status: 0, body: '' });
      }
      const mod = u.protocol === 'https:' ? https : http;
      const req = mod.request(
        u,
        { method, headers, agent: u.protocol === 'https:' ? this.httpsAgent : this.httpAgent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            // Only the start of the answer matters (challenge echo); cap memory for chatty receivers.
            if (size < 64 * 1024) chunks.push(c);
            size += c.length;
          });
          res.on('end', () => {
            this.inflight.delete(req);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', () => {
            this.inflight.delete(req);
            resolve({ status: 0, body: '' });
          });
        },
      );
      this.inflight.add(req);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        this.inflight.delete(req);
        resolve({ status: 0, body: '' });
      });
      req.end(body);
    });
  }

  /** Aborts in-flight requests and closes the agents. */
  close(): void {
    this.closed = true;
    for (const r of this.inflight) r.destroy();
    this.inflight.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Settings of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  appSecret: string;
  maxAttempts: number;
  baseDelayMs: number;
  timeoutMs: number;
  escapeUnicode: boolean;
  now: () => number;
  /** Schedules a callback through the sandbox's timer registry (cleared on close). */
  schedule: (fn: () => void, ms: number) => void;
  log: (line: string) => void;
}

/** Signs, delivers and redelivers webhooks; records every attempt. */
export class WebhookSender {
  /** Every attempt, in order. */
  readonly deliveries: WebhookDelivery[] = [];

  constructor(
    private readonly client: HttpClient,
    private readonly o: WebhookSenderOptions,
  ) {}

  /**
   * Delivers `payload` to `url`. Resolves after the FIRST attempt (with its status) so callers can await
   * a delivery without waiting for the whole retry schedule; redeliveries continue in the background.
   */
  deliver(url: string, payload: Json, field: string): Promise<number> {
    const body = serialiseWebhook(payload, this.o.escapeUnicode);
    const signature = signBody(body, this.o.appSecret);
    const attempt = async (n: number): Promise<number> => {
      const res = await this.client.request(
        'POST',
        url,
        {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'x-hub-signature-256': signature,
          'user-agent': 'facebookexternalua',
        },
        body,
        this.o.timeoutMs,
      );
      this.deliveries.push({ url, body, signature, status: res.status, attempt: n, field, at: this.o.now() });
      if (res.status !== 200) {
        this.o.log(`webhook ${field} attempt ${n} to ${redactUrl(url)} answered ${res.status || 'no response'}`);
        if (n < this.o.maxAttempts) {
          // Exponential backoff like Meta's ("decreasing frequency"), scaled down for local testing.
          this.o.schedule(() => void attempt(n + 1), this.o.baseDelayMs * 2 ** (n - 1));
        }
      }
      return res.status;
    };
    return attempt(1);
  }

  /**
   * Meta's callback verification: `GET url?hub.mode=subscribe&hub.challenge=<random>&hub.verify_token=<token>`.
   * Valid only when the answer is 200 and the body is exactly the challenge.
   */
  async verify(url: string, verifyToken: string): Promise<{ ok: boolean; status: number }> {
    const challenge = String(randomBytes(6).readUIntBE(0, 6));
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { ok: false, status: 0 };
    }
    u.searchParams.set('hub.mode', 'subscribe');
    u.searchParams.set('hub.challenge', challenge);
    u.searchParams.set('hub.verify_token', verifyToken);
    const res = await this.client.request('GET', u.toString(), { 'user-agent': 'facebookplatform/1.0' }, undefined, this.o.timeoutMs);
    return { ok: res.status === 200 && res.body === challenge, status: res.status };
  }
}

/** Drops query strings from URLs before logging them (a callback URL may carry a secret). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
