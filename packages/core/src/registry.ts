import { LocalRateLimiter, validateLimiterOptions } from './limiter/local-rate-limiter';
import type { LimiterOptions, RateLimiter } from './limiter/rate-limiter';
import { WindowTracker } from './window/window-tracker';

/**
 * Process-wide state shared by every node of a process: one limiter per phone number (two
 * workflows or two config nodes sending from one number share its 80/s), and one window tracker
 * (the trigger that hears a user and the node that replies must agree). Kept on `globalThis` under
 * a registered symbol, so copies of core bundled into different packages still share it.
 */
interface Registry {
  limiters: Map<string, { limiter: RateLimiter; settings: string }>;
  windowTracker?: WindowTracker;
}

const KEY = Symbol.for('@wa-cloud/core/registry');

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[KEY] ??= { limiters: new Map() });
}

/**
 * The process's limiter for `phoneNumberId`. A second caller with other settings gets a new limiter
 * in place of the old one (the settings changed: a redeploy), and the old one keeps serving those
 * who already hold it.
 */
export function sharedLimiter(phoneNumberId: string, options: LimiterOptions = {}): RateLimiter {
  const settings = JSON.stringify(validateLimiterOptions(options));
  const limiters = registry().limiters;
  const current = limiters.get(phoneNumberId);
  if (current && current.settings === settings) return current.limiter;
  const limiter = new LocalRateLimiter(options);
  limiters.set(phoneNumberId, { limiter, settings });
  return limiter;
}

/** The process's in-memory window tracker (keys include the phone number ID). */
export function sharedWindowTracker(): WindowTracker {
  return (registry().windowTracker ??= new WindowTracker());
}
