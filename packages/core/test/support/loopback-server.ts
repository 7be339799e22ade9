import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the far side received it. */
export interface ReceivedRequest {
  method: string;
  /** Path with query, e.g. `/v25.0/123/messages`. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
  at: number;
}

export interface Reply {
  status?: number;
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Destroy the socket instead of answering. */
  destroy?: boolean;
  delayMs?: number;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply | Promise<Reply>;

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with `responder`.
 * Tests assert on `requests` (what the far side received), not only on what the client returned.
 */
export class LoopbackServer {
  readonly requests: ReceivedRequest[] = [];
  responder: Responder = () => ({ status: 200, json: {} });
  private server?: Server;
  url = '';

  static async start(responder?: Responder): Promise<LoopbackServer> {
    const instance = new LoopbackServer();
    if (responder) instance.responder = responder;
    await instance.listen();
    return instance;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let json: unknown;
    try {
      json = body.length ? JSON.parse(body.toString()) : undefined;
    } catch {
      json = undefined;
    }
    const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
    const index = this.requests.push(received) - 1;
    const reply = await this.responder(received, index);
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    const payload = reply.json !== undefined ? JSON.stringify(reply.json) : reply.body ?? '';
    res.writeHead(reply.status ?? 200, {
      'content-type': reply.json !== undefined ? 'application/json' : 'text/plain',
      ...reply.headers,
    });
    res.end(payload);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

/** Meta's answer to an accepted send. */
export function accepted(to: string, id = `wamid.${Math.random().toString(36).slice(2)}`): Reply {
  return {
    status: 200,
    json: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }], messages: [{ id, message_status: 'accepted' }] },
  };
}

/** Meta's error envelope for `code`. */
export function graphError(status: number, code: number, message = `(#${code}) error`, details?: string): Reply {
  return {
    status,
    json: {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: 'AbCdEfGh123',
      },
    },
  };
}
