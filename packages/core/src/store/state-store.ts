/**
 * ONE interface for all state core keeps between calls, with three implementations chosen in one
 * place (`sharedState` in registry.ts): memory (one process, lost on restart), embedded (a SQLite
 * file in the platform's user folder: the default) and Redis (many processes or hosts).
 */
import type { DedupeStore } from '../webhook/dedupe';
import type { WindowStore } from '../window/window-store';

export type StateStoreKind = 'memory' | 'embedded' | 'redis';

/** What {@link StateStore.forgetUser} removed. */
export interface ForgetUserResult {
  /** Window, quality and dedupe entries removed from the store. */
  removed: number;
  /** Opt-outs kept under a hashed id only (see README "Forgetting a user"). */
  hashedOptOuts: number;
  /** Rows removed by hooks other parts registered (the delivery ledger). */
  removedByHooks: number;
}

/** An entry removed from a keyed store, with its expiry. */
export interface RemovedEntry {
  key: string;
  expiresAt: number;
}

export interface StateStore {
  readonly kind: StateStoreKind;
  /** Where the state lives, for status lines and errors: a file path, a Redis address, or "memory". */
  readonly location: string;
  /** 24-hour windows: keys `${phoneNumberId}:${user}` (see `windowKey`). */
  readonly windows: WindowStore;
  /** Quality records: keys `quality:${kind}:${phoneNumberId}[:${user}]` (see QualityGuard). */
  readonly quality: WindowStore;
  /** Seen webhook events, each with the users it concerns (so a user can be forgotten). */
  readonly dedupe: DedupeStore;
  /**
   * Removes every window, quality record and dedupe key of these user ids (WhatsApp id digits or
   * BSUIDs, formatting ignored). Returns the quality entries removed, so the caller can keep
   * opt-outs hashed.
   */
  forgetUsers(userIds: readonly string[]): Promise<{ removed: number; quality: RemovedEntry[] }>;
  /** Closes files and connections this store opened. */
  close(): Promise<void>;
}

/** A user id as it appears in store keys: phone numbers as digits, BSUIDs as given. */
export function storeUserId(userId: string): string {
  const trimmed = userId.trim();
  return /^[+\d\s()\-.]+$/.test(trimmed) ? trimmed.replace(/\D/g, '') : trimmed;
}

const QUALITY_USER_KINDS = ['suppressed', 'optout', 'cooldown'];

/**
 * Whether a window or quality key belongs to `user` (already {@link storeUserId}-normalised).
 * Window keys end in `:${user}`; quality keys of a recipient are `quality:{suppressed|optout|cooldown}:${pnid}:${user}`.
 * Number-wide quality keys (`paused`, `rating`) never belong to a user.
 */
export function keyBelongsTo(key: string, user: string): boolean {
  if (!user || !key.endsWith(`:${user}`)) return false;
  if (!key.startsWith('quality:')) return key.indexOf(':') === key.length - user.length - 1;
  const parts = key.split(':');
  return parts.length === 4 && QUALITY_USER_KINDS.includes(parts[1]!) && parts[3] === user;
}
