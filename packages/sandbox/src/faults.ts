/**
 * Fault injection on sends. The decision is made per request with the seeded generator, so a run is
 * reproducible. `reset` is resolved here into `reset_before` (socket destroyed, message NOT accepted)
 * or `reset_after` (message accepted, then the socket destroyed without a response): the client cannot
 * tell them apart, which is exactly the ambiguity idempotent retries must survive, and the record says
 * which one happened so a test can assert on duplicates.
 */
import type { Rng } from './ids';
import type { FaultKind, FaultOptions } from './types';

/** A resolved fault (never the ambiguous `reset`). */
export type ResolvedFault = Exclude<FaultKind, 'reset'>;

/** Decides faults for sends. */
export class FaultPlanner {
  constructor(
    private readonly options: FaultOptions | undefined,
    private readonly rng: Rng,
  ) {}

  /** The fault for the next send, or undefined. Consumes generator draws only when faults are configured. */
  decide(): ResolvedFault | undefined {
    const o = this.options;
    if (!o || !o.kinds.length || !(o.rate > 0)) return undefined;
    if (this.rng.next() >= o.rate) return undefined;
    const kind = o.kinds[this.rng.int(o.kinds.length)];
    if (kind === 'reset') return this.rng.next() < 0.5 ? 'reset_before' : 'reset_after';
    return kind;
  }

  /** Delay of the `slow` fault. */
  get slowMs(): number {
    return this.options?.slowMs ?? 35_000;
  }
}
