import { MAX_WEBHOOK_BYTES } from './core';
import type { Handler, Request } from './node-red';

/** Where the reader leaves the exact request bytes. */
export interface RawBodyRequest extends Request {
  whatsappRawBody?: Buffer;
}

/**
 * Reads the request body as the exact bytes Meta signed. `RED.httpNode` has no body parser and
 * never keeps raw bytes, so the webhook route brings its own reader:
 * - a body over 3 MB (declared or streamed) is answered 413 at once, and the connection closed;
 * - a body some `httpNodeMiddleware` already consumed cannot be verified: answered 500 and
 *   reported through `onConsumed` (failing open would accept unsigned posts).
 */
export function rawBodyReader(onConsumed: () => void, limit = MAX_WEBHOOK_BYTES): Handler {
  return (req, res, next) => {
    const raw = req as RawBodyRequest;
    if (raw._body === true || req.readableEnded) {
      onConsumed();
      res.status(500).type('text/plain').send('Webhook body was already read by another middleware (httpNodeMiddleware): its signature cannot be checked');
      return;
    }
    const tooLarge = () => {
      res.set('Connection', 'close');
      res.status(413).type('text/plain').send(`Webhook body is larger than ${limit} bytes`);
      res.once('finish', () => req.destroy());
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finished = true;
        cleanup();
        req.pause();
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (finished) return;
      finished = true;
      cleanup();
      raw.whatsappRawBody = Buffer.concat(chunks, size);
      next();
    };
    const onError = (error: Error) => {
      if (finished) return;
      finished = true;
      cleanup();
      next(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
