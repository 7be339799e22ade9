import { GraphApiError, NetworkError } from '../errors/error-classes';
import { HTTP_5XX_RULE, ruleForCode, type AutoRetry } from '../errors/error-table';

export interface RetryOptions {
  /** Tries in all, the first included. 1 turns retries off. @default 5 */
  maxAttempts?: number;
  /** First backoff delay, in ms; doubles every attempt (with jitter). @default 500 */
  baseDelayMs?: number;
  /** Longest single wait, in ms. @default 30000 */
  maxDelayMs?: number;
  /**
   * Retry when the connection died after the request was written (`delivery_unknown`). Meta has
   * no idempotency key, so this can send a message twice: only for at-least-once flows.
   * @default false
   */
  retryDeliveryUnknown?: boolean;
}

export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  retryDeliveryUnknown: false,
});

/** Graph code of the per-recipient pair limit: Meta advises waiting 4^X seconds. */
const PAIR_RATE_CODE = 131056;

/**
 * The retry policy as data: which failures are retried and how. Everything not listed here is
 * never retried: a retry must never re-send a message Meta may have accepted.
 * - Graph codes whose table rule is `backoff` (130429, 131056, 4, 80007, 2, 131000, 131016, 131057, 133004, 2494100): exponential backoff;
 * - Graph code 1 (`once`): one retry;
 * - HTTP 5xx without a Meta code: backoff (a message send turns it into `delivery_unknown` first,
 *   see send-outcome.ts, because a gateway may fail after Meta accepted; only idempotent calls
 *   such as mark-as-read retry it);
 * - connection errors before the request was written: backoff;
 * - connection lost after writing (`delivery_unknown`): only with `retryDeliveryUnknown`.
 */
function autoRetryOf(error: unknown, options: Required<RetryOptions>): AutoRetry {
  if (error instanceof NetworkError) {
    return !error.requestSent || options.retryDeliveryUnknown ? 'backoff' : 'never';
  }
  if (error instanceof GraphApiError) {
    if (error.graphCode === undefined) return error.status >= 500 ? HTTP_5XX_RULE.autoRetry : 'never';
    return ruleForCode(error.graphCode)?.autoRetry ?? 'never';
  }
  return 'never';
}

/**
 * Decides whether to try again after `error` on attempt number `attempt` (1-based).
 * Returns the delay in ms before the next try, or `null` to give up.
 */
export function decideRetry(error: unknown, attempt: number, options: RetryOptions = {}, random: () => number = Math.random): number | null {
  const policy = { ...DEFAULT_RETRY, ...options };
  if (attempt >= policy.maxAttempts) return null;
  const mode = autoRetryOf(error, policy);
  if (mode === 'never' || (mode === 'once' && attempt > 1)) return null;

  const exponential = error instanceof GraphApiError && error.graphCode === PAIR_RATE_CODE
    ? 1000 * 4 ** (attempt - 1) // Meta's advice for the pair rate: 1 s, 4 s, 16 s, …
    : policy.baseDelayMs * 2 ** (attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  // "Equal jitter": at least half the delay, so processes that failed together spread out.
  return Math.round(capped / 2 + (capped / 2) * random());
}
