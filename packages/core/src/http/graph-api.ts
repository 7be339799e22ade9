import { WhatsAppError } from '../errors/whatsapp-error';
import { mapGraphError } from '../errors/map-graph-error';
import { DEFAULT_API_VERSION, DEFAULT_BASE_URL, USER_AGENT } from '../version';
import { normalizeBaseUrl } from './base-url';
import { UndiciTransport, type FormData, type HttpMethod, type Transport, type TransportResponse } from './transport';

/** Connection settings shared by every Graph call. */
export interface GraphConnection {
  /** System User access token. Never logged, never put in an error. */
  accessToken: string;
  /**
   * `https://`, or `http://` to a loopback host only (the token travels in every request).
   * @default 'https://graph.facebook.com'
   */
  baseUrl?: string;
  /** @default DEFAULT_API_VERSION */
  apiVersion?: string;
  /** @default a keep-alive {@link UndiciTransport} */
  transport?: Transport;
  /** Per-request timeout in ms. @default 30000 */
  timeoutMs?: number;
}

export interface GraphRequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  form?: FormData;
  timeoutMs?: number;
  /** Largest answer read, in bytes. @default 16 MB for JSON calls; the transport's limit for {@link GraphApi.raw} */
  maxResponseBytes?: number;
  /** Called once the request was written to the socket (see {@link TransportRequest.onWritten}). */
  onWritten?: () => void;
}

/** Graph's JSON answers are kilobytes; a page of 100 templates is well under 1 MB. */
const MAX_JSON_RESPONSE_BYTES = 16 * 1024 * 1024;

const API_VERSION_PATTERN = /^v\d+\.\d+$/;

/**
 * Authenticated JSON calls to the Graph API: builds the versioned URL, adds the bearer token and
 * maps every error response through the one error table. The only place URLs are assembled.
 */
export class GraphApi {
  readonly baseUrl: string;
  readonly apiVersion: string;
  readonly transport: Transport;
  private readonly accessToken: string;
  private readonly ownsTransport: boolean;
  private readonly timeoutMs: number | undefined;
  private closed = false;

  constructor(connection: GraphConnection) {
    if (!connection.accessToken || typeof connection.accessToken !== 'string') {
      throw new WhatsAppError('accessToken is required', {
        code: 'missing_access_token',
        category: 'auth',
        hint: 'Paste a System User access token into the credentials.',
      });
    }
    this.accessToken = connection.accessToken;
    this.baseUrl = normalizeBaseUrl(connection.baseUrl || DEFAULT_BASE_URL);
    this.apiVersion = connection.apiVersion || DEFAULT_API_VERSION;
    if (!API_VERSION_PATTERN.test(this.apiVersion)) {
      throw new WhatsAppError(`apiVersion "${this.apiVersion}" is not a Graph API version like ${DEFAULT_API_VERSION}`, {
        code: 'invalid_api_version',
        category: 'validation',
        hint: `Use a version such as ${DEFAULT_API_VERSION}, or leave the field empty for the default.`,
      });
    }
    this.ownsTransport = !connection.transport;
    this.transport = connection.transport ?? new UndiciTransport({ timeoutMs: connection.timeoutMs });
    this.timeoutMs = connection.timeoutMs;
  }

  /** `https://graph.facebook.com/v25.0/<path>?<query>` */
  url(path: string, query?: GraphRequestOptions['query']): string {
    const url = new URL(`${this.baseUrl}/${this.apiVersion}/${path.replace(/^\/+/, '')}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** Calls the Graph API and returns the parsed JSON body; throws GraphApiError or NetworkError. */
  async request<T = unknown>(method: HttpMethod, path: string, options: GraphRequestOptions = {}): Promise<T> {
    const response = await this.raw(method, this.url(path, options.query), { maxResponseBytes: MAX_JSON_RESPONSE_BYTES, ...options });
    return parseJson<T>(response);
  }

  /** Like {@link request} for an absolute URL (media downloads), returning the raw response. */
  async raw(method: HttpMethod, url: string, options: Omit<GraphRequestOptions, 'query'> = {}): Promise<TransportResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.accessToken}`,
      'user-agent': USER_AGENT,
    };
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    const response = await this.transport.request({ method, url, headers, body, timeoutMs: options.timeoutMs ?? this.timeoutMs, maxResponseBytes: options.maxResponseBytes, onWritten: options.onWritten });
    // Only 2xx is an answer: undici does not follow redirects, and a 3xx page is not the resource.
    if (response.status < 200 || response.status >= 300 || hasGraphError(response)) throw mapGraphError(response.status, response.body);
    return response;
  }

  /**
   * Asks Graph's `debug_token` about this connection's own token (scopes, expiry). The token is
   * sent as the `input_token` query parameter, as Graph requires, and never returned.
   */
  inspectOwnToken<T = unknown>(): Promise<T> {
    return this.request<T>('GET', 'debug_token', { query: { input_token: this.accessToken } });
  }

  /** Closes an own transport; safe to call more than once (adapters close on every redeploy). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsTransport) await this.transport.close?.();
  }
}

/** Graph sometimes answers 200 with an `error` object; treat it as the error it is. */
function hasGraphError(response: TransportResponse): boolean {
  const type = response.headers['content-type'] ?? '';
  if (!type.includes('json') || response.body.length === 0 || response.body[0] !== 0x7b) return false;
  return response.body.includes('"error"') && parseJsonSafe(response.body)?.error !== undefined;
}

function parseJsonSafe(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString());
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseJson<T>(response: TransportResponse): T {
  if (response.body.length === 0) return {} as T;
  try {
    return JSON.parse(response.body.toString()) as T;
  } catch (cause) {
    throw new WhatsAppError(`The WhatsApp API answered HTTP ${response.status} with a body that is not JSON`, {
      code: 'invalid_response',
      category: 'unknown',
      hint: 'Check that the base URL points at the Graph API (or the sandbox), not at another web server.',
      cause,
    });
  }
}
