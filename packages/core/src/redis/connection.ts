import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { WhatsAppError } from '../errors/whatsapp-error';

/**
 * Where the state shared by several processes lives (n8n queue mode, several Node-RED
 * instances): the send budget of each phone number, the 24-hour windows and the seen webhook
 * events. Processes that use the same Redis and `keyPrefix` share them.
 */
export interface RedisOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS). Ignored when `client`
   * is given.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * An ioredis client you already have. It is used as it is and never closed by this library;
   * a `keyPrefix` set on the client itself is added in front of ours.
   */
  client?: Redis;
  /** Put in front of every key; processes that share a budget must use the same one. @default 'wa:' */
  keyPrefix?: string;
  /**
   * When Redis cannot be reached, carry on with in-process state instead of failing with
   * `shared_store_unavailable`. Opt-in, because each process then paces on its own: N processes
   * that fall back together may send up to N times the number's throughput (Meta answers 130429),
   * and windows and duplicates seen by one process are unknown to the others.
   * @default false
   */
  fallbackToLocal?: boolean;
  /**
   * Called once per connection each time the fallback starts (again after Redis came back and
   * went away again), however many limiters and stores share the connection.
   * @default process.emitWarning with code `WA_CLOUD_REDIS_FALLBACK`
   */
  onFallback?: (error: WhatsAppError) => void;
}

/** The key prefix when none is given. */
export const DEFAULT_REDIS_KEY_PREFIX = 'wa:';
/** The Redis URL when neither `url` nor `client` is given. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long an operation waits for a (re)connection before it reports the outage. */
const READY_TIMEOUT_MS = 2000;

/** What an outage means for the caller, appended to the hint. */
export type SharedStoreUse = 'limiter' | 'window' | 'dedupe' | 'ledger';

const CONSEQUENCE: Record<SharedStoreUse, string> = {
  limiter: 'sends are held back so the number is never over its limit',
  window: 'the 24-hour window could not be read or recorded',
  dedupe: 'the webhook was not acknowledged, so Meta will deliver it again',
  ledger: 'the delivery ledger could not be read or updated',
};

/**
 * The error of every Redis failure: network category and retryable, because nothing was sent and
 * the same call succeeds once Redis is back. Fix: start Redis or correct the URL.
 */
export function sharedStoreUnavailableError(address: string, use: SharedStoreUse, cause?: unknown): WhatsAppError {
  const reason = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
  return new WhatsAppError(`The shared state store (Redis at ${address}) is unavailable${reason}`, {
    code: 'shared_store_unavailable',
    category: 'network',
    retryable: true,
    hint: `Redis at ${address} is unreachable: start it, or correct the shared store's address and password; ${CONSEQUENCE[use]}.`,
    cause,
  });
}

/** `host:port` of a Redis URL: never the user name or password. */
export function redisAddress(url: string): string {
  try {
    let parsed = new URL(url);
    // `redis:secret@host` (no `//`) parses with everything in the path, password included: read it
    // again as an authority, and never return the path itself.
    if (!parsed.hostname) {
      if (!parsed.pathname.includes('@')) return parsed.pathname || 'unknown'; // a socket path
      parsed = new URL(`${parsed.protocol}//${parsed.pathname.replace(/^\/+/, '')}`);
    }
    if (parsed.hostname) return `${parsed.hostname}:${parsed.port || '6379'}`;
    return 'an address without a host';
  } catch {
    return 'an unparsable URL';
  }
}

/** A Lua script run by EVALSHA, loaded by EVAL the first time a server does not know it. */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

/** Prepares a Lua script for {@link RedisConnection.evalScript}. */
export function redisScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * One ioredis client plus the key prefix, shared by the Redis limiter and stores of a client
 * (or, through `sharedRedisState`, of a whole process). Every call goes through {@link run}, which
 * waits briefly for a (re)connection and turns any failure into `shared_store_unavailable`.
 *
 * A client built from a URL fails fast on an outage: `enableOfflineQueue: false` rejects commands
 * while disconnected instead of queueing them, and connecting gives up after 2 s. A client passed
 * in is used with its own settings and never closed here.
 */
export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  /** `host:port`, for messages (never credentials). */
  readonly address: string;
  readonly fallbackToLocal: boolean;
  private readonly onFallback: (error: WhatsAppError) => void;
  /** Whether this connection created the client (and so closes it). */
  readonly ownsClient: boolean;
  private closed = false;
  /** One wait for the connection shared by every concurrent call (one set of listeners). */
  private connecting: Promise<void> | undefined;
  /** Set by a connection error, cleared when ready again (tracked on clients we created). */
  private lastError: Error | undefined;
  /** A fallback was reported and Redis has not answered since. */
  private fallbackReported = false;

  constructor(options: RedisOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.fallbackToLocal = options.fallbackToLocal === true;
    this.onFallback =
      options.onFallback ??
      ((error) => process.emitWarning(`${error.message}; using in-process state (redis.fallbackToLocal)`, { code: 'WA_CLOUD_REDIS_FALLBACK' }));
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
      const { host, port, path } = options.client.options;
      this.address = path || `${host ?? '127.0.0.1'}:${port ?? 6379}`;
    } else {
      const url = options.url || DEFAULT_REDIS_URL;
      this.address = redisAddress(url);
      this.client = new Redis(url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: READY_TIMEOUT_MS,
        commandTimeout: 5000,
        // disconnect() arms a timer of this length that only a later socket 'close' clears; after
        // an outage the socket is already closed, so the timer would hold the process for 2 s.
        disconnectTimeout: 100,
        // Keep trying in the background (long-running n8n / Node-RED), at most once a second.
        retryStrategy: (times) => Math.min(times * 100, 1000),
      });
      this.ownsClient = true;
      // Errors reach callers through run(); without a listener ioredis would print each retry.
      this.client.on('error', (error: Error) => {
        this.lastError = error;
      });
      this.client.on('ready', () => {
        this.lastError = undefined;
      });
    }
  }

  /** `${keyPrefix}${name}`. */
  key(name: string): string {
    return this.keyPrefix + name;
  }

  /**
   * Runs `operation` once the client is ready; any failure (down, refused, timed out, a script
   * error) becomes `shared_store_unavailable`, so callers never act on a guess.
   */
  async run<T>(use: SharedStoreUse, operation: (client: Redis) => Promise<T>): Promise<T> {
    try {
      await this.ready();
      const result = await operation(this.client);
      this.fallbackReported = false;
      return result;
    } catch (error) {
      throw sharedStoreUnavailableError(this.address, use, error);
    }
  }

  /** EVALSHA, falling back to EVAL when the server does not have the script yet (restart, new server). */
  async evalScript(client: Redis, script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Reports the start of a fallback to in-process state (see {@link RedisOptions.fallbackToLocal}). */
  reportFallback(error: WhatsAppError): void {
    if (this.fallbackReported) return;
    this.fallbackReported = true;
    try {
      this.onFallback(error);
    } catch {
      // A throwing warning callback must not turn the fallback into a failure.
    }
  }

  /** Closes the client if this connection created it; a client passed in is left open. */
  async close(): Promise<void> {
    if (this.closed || !this.ownsClient) return;
    this.closed = true;
    // Only a live socket has an 'end' to wait for; a client retrying in the background stops its timer in disconnect().
    const live = ['connecting', 'connect', 'ready'].includes(this.client.status);
    const ended = new Promise<void>((resolve) => {
      if (!live) return resolve();
      const timer = setTimeout(resolve, 1000).unref();
      this.client.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.client.status === 'ready') {
      // QUIT lets Redis finish what it was sent; a reply that never comes still ends in disconnect.
      await Promise.race([this.client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    this.client.disconnect();
    // Resolve only once the socket is gone, so a test (or a process shutting down) sees no open handle.
    await ended;
  }

  /**
   * Resolves when the client is ready. A first connection (or a passed-in client still connecting)
   * is waited for, up to 2 s; a client that lost its connection and is retrying in the background
   * fails at once, so an outage costs callers no time.
   */
  private ready(): Promise<void> {
    const client = this.client;
    if (client.status === 'ready') return Promise.resolve();
    if (this.closed || client.status === 'end') return Promise.reject(new Error('the connection was closed'));
    // Down and retrying in the background (its status may still read 'connecting' for a tick).
    if (this.lastError || client.status === 'reconnecting' || client.status === 'close') {
      return Promise.reject(new Error(this.lastError?.message ? `not connected: ${this.lastError.message}` : 'not connected'));
    }
    if (this.connecting) return this.connecting;
    const waiting = new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => done();
      const onError = (error: Error) => done(error);
      const onEnd = () => done(new Error('the connection was closed'));
      const timer = setTimeout(() => done(new Error(`not connected within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      client.on('ready', onReady);
      client.on('error', onError);
      client.on('end', onEnd);
      // lazyConnect: the first call connects. Failures arrive as 'error' events (handled above).
      if (client.status === 'wait') client.connect().catch(() => undefined);
    });
    this.connecting = waiting;
    const settled = () => {
      if (this.connecting === waiting) this.connecting = undefined;
    };
    waiting.then(settled, settled);
    return waiting;
  }
}
