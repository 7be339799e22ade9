/**
 * Deterministic randomness: fault decisions and generated IDs come from one seeded generator so a test
 * run with the same seed and the same request sequence sees the same faults and IDs.
 */

/** mulberry32: tiny, fast, good enough for test-fault dice (not for secrets). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Generates the IDs Meta would: wamids, numeric object IDs, fbtrace IDs. */
export class IdFactory {
  private counter = 0;

  constructor(private readonly rng: Rng) {}

  private chars(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += B64[this.rng.int(64)];
    return out;
  }

  /** `wamid.` + base64 like Meta's (the counter keeps them unique whatever the generator draws). */
  wamid(): string {
    this.counter++;
    const raw = Buffer.from(`sandbox.${this.counter}.${this.chars(12)}`).toString('base64');
    return `wamid.${raw}`;
  }

  /** A 15–16 digit numeric ID like Graph object IDs. */
  numeric(prefix = '9'): string {
    this.counter++;
    return `${prefix}${String(this.counter).padStart(6, '0')}${String(this.rng.int(1e8)).padStart(8, '0')}`;
  }

  /** A Graph `fbtrace_id`. */
  fbtrace(): string {
    return `A${this.chars(22)}`;
  }
}
