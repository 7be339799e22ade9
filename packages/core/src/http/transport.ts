import { Agent, FormData, request as undiciRequest, type Dispatcher } from 'undici';
import { NetworkError } from '../errors/error-classes';
import { WhatsAppError } from '../errors/whatsapp-error';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** One HTTP exchange. `url` is absolute; the transport adds nothing to it. */
export interface TransportRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  /** A JSON string, raw bytes, or multipart form data (undici's `FormData`). */
  body?: string | Buffer | FormData;
  /** Overrides the transport's default timeout for this request. */
  timeoutMs?: number;
  /** Overrides the transport's answer size limit for this request, in bytes. */
  maxResponseBytes?: number;
  /**
   * Called once the request's bytes were handed to the socket (after a new connection was made, if
   * one was needed): the rate limiter counts a send from when it left, as Meta counts it on arrival.
   * A transport that cannot tell may leave it uncalled.
   */
  onWritten?: () => void;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * How core talks HTTP. The default is {@link UndiciTransport}; a test or an adapter may inject its
 * own. A transport resolves with any HTTP status (errors are mapped by the caller) and rejects
 * only with {@link NetworkError}, telling whether the request may have reached the server.
 */
export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  close?(): Promise<void>;
}

export interface UndiciTransportOptions {
  /** Deadline for the whole exchange (connect, headers and body), in ms. @default 30000 */
  timeoutMs?: number;
  /** Connect timeout, in ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Sockets per origin. At 1,000 msg/s and ~300 ms per answer, 300 requests are in flight. @default 512 */
  connections?: number;
  /**
   * Largest answer read, in bytes; a bigger one is cut off and fails (a misbehaving or hostile
   * host must not make the process buffer hundreds of MB). @default DEFAULT_MAX_RESPONSE_BYTES
   */
  maxResponseBytes?: number;
}

/** The largest media Meta stores is 100 MB (documents); the default answer limit leaves room above it. */
export const DEFAULT_MAX_RESPONSE_BYTES = 101 * 1024 * 1024;

/**
 * An answer larger than the limit. Thrown before the rest of the body is read.
 * Fix: check the base URL (Graph answers are small, media at most 100 MB).
 */
export class ResponseTooLargeError extends WhatsAppError {
  constructor(url: string, limit: number) {
    super(`The answer from ${url} is larger than ${limit} bytes; it was not read`, {
      code: 'response_too_large',
      category: 'network',
      retryable: false,
      hint: 'Check the base URL: Graph API answers are small and media files are at most 100 MB.',
    });
    this.name = 'ResponseTooLargeError';
  }
}

/** Errors raised while connecting: the request bytes never left, so a retry cannot double-send. */
const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CONNECT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
}

/** Names a URL without its query: a query may carry a secret (debug_token's input_token). */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Reads a body up to `limit` bytes; a declared or actual larger one is destroyed and refused. */
async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, declared: string | string[] | undefined, limit: number, url: string): Promise<Buffer> {
  const length = Number(Array.isArray(declared) ? declared[0] : declared);
  if (Number.isFinite(length) && length > limit) {
    body.destroy();
    throw new ResponseTooLargeError(withoutQuery(url), limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new ResponseTooLargeError(withoutQuery(url), limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Keep-alive HTTP over undici, with a request timeout. */
export class UndiciTransport implements Transport {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(options: UndiciTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.agent = new Agent({
      connections: options.connections ?? 512,
      keepAliveTimeout: 30_000,
      connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    });
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const timeout = req.timeoutMs ?? this.timeoutMs;
    try {
      const response = await undiciRequest(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: req.onWritten ? this.reportingWrite(req.onWritten) : this.agent,
        // A deadline for the whole exchange (undici's own timeouts tick once a second and restart per body chunk).
        signal: AbortSignal.timeout(timeout),
      });
      const limit = Math.min(req.maxResponseBytes ?? this.maxResponseBytes, this.maxResponseBytes);
      const body = await readLimited(response.body, response.headers['content-length'], limit, req.url);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: response.statusCode, headers, body };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) throw error;
      const code = errorCode(error);
      const sent = !(code && CONNECT_PHASE_CODES.has(code));
      const timedOut = (error as { name?: string })?.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      const what = timedOut ? `no answer within ${timeout} ms` : code ?? String(error);
      throw new NetworkError(`${req.method} ${withoutQuery(req.url)} failed: ${what}`, sent, error);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * The agent, for one request whose handler also hears when the request was sent: undici's HTTP/1
   * client calls a handler's `onRequestSent` once the body was written (a hook of its older handler
   * API, which `request()`'s own handler uses; not in the typings). The transport test checks it is
   * still called: if undici dropped it, the limiter would fall back to the stamp it takes itself.
   */
  private reportingWrite(onWritten: () => void): Dispatcher {
    const agent = this.agent;
    return {
      dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler & { onRequestSent?: () => void }): boolean {
        const sent = handler.onRequestSent?.bind(handler);
        handler.onRequestSent = () => {
          // undici aborts a request whose handler throws here, and this one has already left.
          try {
            onWritten();
          } catch {
            // the limiter keeps the stamp it took itself
          }
          sent?.();
        };
        return agent.dispatch(options, handler);
      },
    } as Dispatcher;
  }
}

export { FormData };
