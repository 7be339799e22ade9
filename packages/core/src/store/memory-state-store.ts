import { MemoryDedupeStore } from '../webhook/dedupe';
import { MemoryKeyedExpiryStore } from '../window/window-store';
import { keyBelongsTo, storeUserId, type RemovedEntry, type StateStore } from './state-store';

/** State in this process's memory: fast, bounded, gone on restart. The explicit "Memory only" choice, and the fallback when the file cannot be used. */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  readonly windows = new MemoryKeyedExpiryStore();
  readonly quality = new MemoryKeyedExpiryStore();
  readonly dedupe = new MemoryDedupeStore();

  async forgetUsers(userIds: readonly string[]): Promise<{ removed: number; quality: RemovedEntry[] }> {
    const users = userIds.map(storeUserId).filter(Boolean);
    const belongs = (key: string) => users.some((user) => keyBelongsTo(key, user));
    const windows = this.windows.removeWhere(belongs).length;
    const quality = this.quality.removeWhere(belongs);
    const dedupe = this.dedupe.forgetUsers(users);
    return { removed: windows + quality.length + dedupe, quality };
  }

  async close(): Promise<void> {}
}
