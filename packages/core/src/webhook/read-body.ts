import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_WEBHOOK_BYTES } from './errors';

/** After a 413: how much more of the body is read (and thrown away) before the socket is cut. */
const DRAIN_BYTES = 16 * 1024 * 1024;
const DRAIN_MS = 5000;

/**
 * A lingering close: reads and discards what the client is still sending, so it gets to read the
 * 413 (destroying a socket with unread data sends a TCP reset, and the client may lose the answer
 * with it, then retry), but at most DRAIN_BYTES or DRAIN_MS, after which the socket is cut.
 */
function discardRest(req: IncomingMessage): void {
  let drained = 0;
  const cut = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.destroy();
  };
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) cut();
  };
  req.on('data', onData);
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Reads a webhook request's body as the exact bytes Meta signed (any HTTP server: Node-RED's
 * routes, the n8n High-Volume Trigger's own listener).
 *
 * @returns the bytes; or undefined once a body over `limit` (declared or streamed) was answered
 *   413 with `Connection: close` (nothing more to do for the caller).
 * @throws the stream's error when the request breaks off (the client is gone: nothing to answer).
 */
export function readWebhookBody(req: IncomingMessage, res: ServerResponse, limit = MAX_WEBHOOK_BYTES): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => {
      if (!res.headersSent) {
        res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end(`Webhook body is larger than ${limit} bytes`);
      }
      discardRest(req);
      resolve(undefined);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    // The error listener stays: a socket error after the 413 must not become an uncaught 'error'.
    const cleanup = () => {
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      tooLarge();
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      if (settled) return;
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
