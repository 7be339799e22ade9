import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readWebhookBody } from '@wa-cloud/core';

/**
 * The High-Volume Trigger's own HTTP server: one path, GET (Meta's challenge) and POST (events),
 * nothing else. It exists so a status costs what core's webhook handling costs, not what n8n's
 * webhook route costs (n8n loads the published workflow and builds it for every POST: ~10 ms of
 * CPU, a few dozen statuses a second per process; README "Many status webhooks").
 */

export interface ListenerHandlers {
  /** Meta's subscription check: answer the challenge as raw text, or 403. */
  get(query: Record<string, string>, res: ServerResponse): void;
  /** A POST's exact bytes (at most MAX_WEBHOOK_BYTES) with its headers. */
  post(body: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** A handler threw: logged by the node (the message only), answered 500 so Meta delivers again. */
  failed(error: unknown): void;
}

export interface ListenOptions {
  host: string;
  port: number;
  /** `/whatsapp`: requests to any other path get 404. */
  path: string;
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** Starts listening; rejects with the socket error (EADDRINUSE, EACCES …) when the port cannot be had. */
export async function listen(options: ListenOptions, handlers: ListenerHandlers): Promise<Server> {
  const server = createServer((req, res) => {
    // A request target URL cannot parse (`http://[zz/…`) is answered, not thrown out of the handler.
    const url = URL.canParse(req.url ?? '/', 'http://listener') ? new URL(req.url ?? '/', 'http://listener') : undefined;
    if (!url) return answer(res, 400, 'Bad request target');
    if (url.pathname.replace(/\/+$/, '') !== options.path) return answer(res, 404, 'Not found');
    if (req.method === 'GET') return handlers.get(Object.fromEntries(url.searchParams), res);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      return answer(res, 405, 'Method not allowed');
    }
    readWebhookBody(req, res).then(
      (body) =>
        body &&
        handlers.post(body, req, res).catch((error: unknown) => {
          handlers.failed(error);
          answer(res, 500, 'Error');
        }),
      () => undefined, // the request broke off: nobody is left to answer
    );
  });
  // Meta keeps connections open between deliveries; a little longer than its idle time avoids resets.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      // Errors after start-up (a client socket gone bad) are reported, never thrown.
      server.on('error', (error) => handlers.failed(error));
      resolve();
    });
  });
  return server;
}

/** How long requests still being handled may finish when the trigger stops. */
const CLOSE_GRACE_MS = 5_000;

/** Stops listening and ends keep-alive connections, so the port is free for the next activation. */
export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
