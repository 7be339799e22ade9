/**
 * fast-check building blocks for fuzzing the webhook inbound path: real samples (the fixtures),
 * mutators that break them the way a broken proxy, a hostile sender or a future Meta shape would,
 * and the checks every outcome must pass.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isWhatsAppError } from '../../src/errors/whatsapp-error';
import { freshTimestamps } from './fresh-timestamps';

/** Cases per property: bounded in `npm test`, `WA_FUZZ_RUNS=100000` for `npm run test:stress`. */
export const FUZZ_RUNS = Math.max(1, Number(process.env.WA_FUZZ_RUNS) || 2000);
/** Set WA_FUZZ_SEED to replay a failure fast-check reported. */
export const FUZZ_SEED = process.env.WA_FUZZ_SEED ? Number(process.env.WA_FUZZ_SEED) : undefined;
/** A single case that takes longer than this is a hang. */
export const CASE_TIMEOUT_MS = 5000;

export const APP_SECRET = 'fuzz-app-secret';

export function sign(body: Buffer | string, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Sample {
  name: string;
  raw: Buffer;
  json: unknown;
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'webhooks');

/**
 * Every webhook fixture: real payloads from Meta's docs plus derived batches, their timestamps set
 * to now so that the fuzzed bodies go all the way through dedupe and the window updates (the replay
 * guard would drop the captured 2017–2023 events before those).
 */
export const SAMPLES: Sample[] = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const raw = freshTimestamps(readFileSync(join(FIXTURES, file)));
    return { name: file, raw, json: JSON.parse(raw.toString('utf8')) as unknown };
  });

export type Path = Array<string | number>;

/** Every path in a JSON value (the root included), iteratively. */
export function pathsOf(value: unknown): Path[] {
  const out: Path[] = [];
  const stack: Array<[unknown, Path]> = [[value, []]];
  while (stack.length) {
    const [current, path] = stack.pop()!;
    out.push(path);
    if (Array.isArray(current)) current.forEach((child, i) => stack.push([child, [...path, i]]));
    else if (current && typeof current === 'object') for (const [key, child] of Object.entries(current)) stack.push([child, [...path, key]]);
  }
  return out;
}

type Container = Record<string | number, unknown>;

/** A copy of `root` with the value at `path` replaced (`remove` deletes it instead). */
export function setAt(root: unknown, path: Path, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Container;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Container;
  const last = path[path.length - 1]!;
  if (remove && Array.isArray(parent)) parent.splice(last as number, 1);
  else if (remove) delete parent[last];
  else parent[last] = value;
  return copy;
}

export function getAt(root: unknown, path: Path): unknown {
  let current = root;
  for (const key of path) current = (current as Container)[key];
  return current;
}

/** Arrays or objects nested `depth` levels around `leaf`. */
export function nest(depth: number, leaf: unknown, kind: 'array' | 'object' | 'mixed'): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0);
    value = asArray ? [value] : { k: value };
  }
  return value;
}

/** Values that sit wrongly in any field: every JSON type, edge numbers, odd strings, big and deep things. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null, true, false, 0, -1, 1.5, 1e21, -1e308, 1e300, Number.MAX_SAFE_INTEGER + 2, '', ' ', '0', '1e300', '-1', 'NaN',
      'Infinity', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '\u0000', '\ud800', '\udfff\ud800', '😀'.repeat(50),
      'x'.repeat(70_000), [], {}, [null], [[]], [{}], { __proto__: null }, { toString: 1 }, { length: 5 },
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 5000 }).map((n) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? {} : i))) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 400 }), fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed')).map(([d, k]) => nest(d, 'leaf', k)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

export type Mutation =
  | { kind: 'replace'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'repeat'; pick: number; times: number }
  | { kind: 'wrap'; pick: number; depth: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick: fc.nat(), times: fc.integer({ min: 2, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), pick: fc.nat(), depth: fc.integer({ min: 1, max: 200 }) }) },
);

/** Applies a mutation at a path chosen by `pick` among every path of the value. */
export function applyMutation(value: unknown, m: Mutation): unknown {
  const paths = pathsOf(value);
  const path = paths[m.pick % paths.length]!;
  switch (m.kind) {
    case 'replace':
      return setAt(value, path, m.value);
    case 'delete':
      return path.length === 0 ? undefined : setAt(value, path, undefined, true);
    case 'repeat': {
      // Huge arrays: the value at the path, `times` times (an array item repeats in place).
      const target = getAt(value, path);
      // Kept under about 1 MB serialised (bodies over 3 MB have their own test), so no case dominates the run.
      const size = (JSON.stringify(target) ?? 'null').length + 1;
      const times = Math.max(2, Math.min(m.times, Math.floor(1_000_000 / size)));
      return setAt(value, path, Array.from({ length: times }, () => target));
    }
    case 'wrap':
      return setAt(value, path, nest(m.depth, getAt(value, path), 'mixed'));
  }
}

/**
 * Applies mutations in order, with at most one `repeat`, last: the repeated copies share one
 * object, so a later mutation inside one of them would multiply across all of them (gigabytes).
 */
export function applyMutations(value: unknown, mutations: readonly Mutation[]): unknown {
  const ordered = [...mutations.filter((m) => m.kind !== 'repeat'), ...mutations.filter((m) => m.kind === 'repeat').slice(0, 1)];
  return ordered.reduce<unknown>((current, m) => applyMutation(current, m), value);
}

/** Byte-level damage after serialising: what a proxy, a truncating buffer or a hostile sender does. */
export type ByteDamage =
  | { kind: 'none' }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'bom' }
  | { kind: 'append'; bytes: number[] };

/** Invalid UTF-8: lone continuation bytes, overlong forms, encoded surrogates, bytes that never occur. */
const INVALID_UTF8: number[][] = [[0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

export const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.oneof(fc.constantFrom(...INVALID_UTF8), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }) },
);

export function damage(bytes: Buffer, d: ByteDamage): Buffer {
  const at = (n: number) => (bytes.length === 0 ? 0 : n % (bytes.length + 1));
  switch (d.kind) {
    case 'none':
      return bytes;
    case 'truncate':
      return bytes.subarray(0, at(d.at));
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at(d.at)), Buffer.from(d.bytes), bytes.subarray(at(d.at))]);
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      const i = d.at % copy.length;
      copy[i] = copy[i]! ^ d.xor;
      return copy;
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'append':
      return Buffer.concat([bytes, Buffer.from(d.bytes)]);
  }
}

/** A sample, mutated 0–3 times, serialised (compact or indented), then damaged at the byte level. */
export const mutatedBody: fc.Arbitrary<{ sample: string; body: Buffer }> = fc
  .record({
    sample: fc.constantFrom(...SAMPLES),
    mutations: fc.array(mutation, { maxLength: 3 }),
    indent: fc.constantFrom(undefined, 2),
    damage: byteDamage,
  })
  .map(({ sample, mutations, indent, damage: d }) => {
    if (mutations.length === 0 && indent === undefined) return { sample: sample.name, body: damage(sample.raw, d) };
    const value = applyMutations(sample.json, mutations);
    const compact = JSON.stringify(value) ?? '';
    // Indenting deep values grows quadratically with depth: only small bodies get it.
    const text = (indent && compact.length < 100_000 ? JSON.stringify(value, null, indent) : undefined) ?? compact;
    return { sample: sample.name, body: damage(Buffer.from(text, 'utf8'), d) };
  });

/** Resolves like `promise`, or rejects when it takes longer than `ms` (a hang). */
export async function withinTime<T>(promise: Promise<T>, ms = CASE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The status an adapter would answer for an error: a WhatsAppError's 4xx `status`, else a failure. */
export function statusOf(error: unknown): number {
  if (!isWhatsAppError(error)) throw new Error(`not a WhatsAppError: ${describe(error)}`);
  const status = (error as { status?: unknown }).status;
  if (typeof status !== 'number' || status < 400 || status > 499) throw new Error(`WhatsAppError ${error.code} has no 4xx status (${String(status)})`);
  return status;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message.slice(0, 200)}` : String(error).slice(0, 200);
}

/**
 * What an adapter does with the events: serialise them (n8n execution data, Node-RED messages)
 * and format their dates. Neither may throw, and no date may be invalid.
 */
export function assertUsable(events: unknown[]): void {
  JSON.stringify(events);
  const stack: Array<[unknown, number]> = events.map((e) => [e, 0]);
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new Error('an event carries an Invalid Date');
      value.toISOString();
      continue;
    }
    // raw payloads are checked by JSON.stringify above; dates only live near the top.
    if (value && typeof value === 'object' && depth < 4) for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
}
