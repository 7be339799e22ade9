import { z } from 'zod/v4';
import { ValidationError } from '../errors/error-classes';
import { URL_SHORTENER_HOSTS } from './limits';

/**
 * Length of `value` in characters as people (and Meta) count them: Unicode code points, so an emoji
 * such as 😀 counts 1, not 2 as `String.length` would.
 */
export function charCount(value: string): number {
  return [...value].length;
}

/**
 * A string of 1..`max` characters (or 0..`max` with `allowEmpty`), counted with `charCount`.
 * Errors read `23 characters, the limit is 20` / `is empty`.
 * @internal
 */
export function text(max?: number, options: { allowEmpty?: boolean } = {}) {
  return z.string().superRefine((value, ctx) => {
    if (!options.allowEmpty && value.trim() === '') {
      ctx.addIssue({ code: 'custom', message: value === '' ? 'is empty' : 'is only whitespace' });
      return;
    }
    if (max === undefined) return;
    const count = charCount(value);
    if (count > max) ctx.addIssue({ code: 'custom', message: `${count} characters, the limit is ${max}` });
  });
}

/**
 * An array of `min`..`max` items; errors say `11 rows, the limit is 10`.
 * @internal
 */
export function list<T extends z.ZodType>(item: T, noun: string, min: number, max?: number) {
  const items = z.array(item).superRefine((values, ctx) => {
    if (values.length < min) {
      ctx.addIssue({
        code: 'custom',
        message: values.length === 0 ? `is empty, at least ${min} needed` : `${values.length} ${noun}, at least ${min} needed`,
      });
    }
  });
  if (max === undefined) return items;
  // The count is checked BEFORE any item is parsed: a list of a million buttons is refused at
  // once instead of after validating every one of them (10 s of CPU for a "limit is 3" error).
  return z
    .unknown()
    .superRefine((values, ctx) => {
      if (Array.isArray(values) && values.length > max) ctx.addIssue({ code: 'custom', message: `${values.length} ${noun}, the limit is ${max}`, continue: false });
    })
    .pipe(items);
}

/** An excerpt of user input for an error message: never a whole 1 MB value (the length is given). */
export function quote(value: string, max = 60): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}

/**
 * The problem with `value` as an https URL (or undefined when fine). With `noShorteners`, links on
 * `URL_SHORTENER_HOSTS` are refused: Meta refuses or flags shortened links, and cannot see where they lead.
 * @internal
 */
export function httpsUrlProblem(value: string, noShorteners: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${quote(value)} is not a URL; give a full https:// address`;
  }
  if (url.protocol !== 'https:') return `must start with https:// (got ${url.protocol}//)`;
  if (noShorteners) {
    const host = url.hostname.toLowerCase().replace(/^www\./, '');
    if (URL_SHORTENER_HOSTS.includes(host)) {
      return `uses the link shortener ${host}; Meta refuses shortened links, give the full URL`;
    }
  }
  return undefined;
}

/** @internal An https URL string (see `httpsUrlProblem`). */
export function httpsUrl(options: { noShorteners: boolean }) {
  return z.string().superRefine((value, ctx) => {
    const problem = httpsUrlProblem(value, options.noShorteners);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/**
 * A number, or a string holding one, between -`bound` and `bound` (degrees). Meta's own examples send
 * numbers while its OpenAPI types them as strings, so both are accepted and sent as given.
 * @internal
 */
export function degrees(bound: number) {
  return z.union([z.number(), z.string()], { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') }).superRefine((value, ctx) => {
    const number = typeof value === 'number' ? value : /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(number)) {
      ctx.addIssue({ code: 'custom', message: `${quote(String(value))} is not a number` });
    } else if (number < -bound || number > bound) {
      ctx.addIssue({ code: 'custom', message: `${value} is out of range, it must be between -${bound} and ${bound}` });
    }
  });
}

/**
 * An object that accepts only the keys of `shape`. Meta answers unknown keys with error 100, and a
 * misspelt optional key (`preveiw_url`) would otherwise be dropped without a word. `hints` replace the
 * default message for keys people often put in the wrong place (e.g. `caption` on audio).
 * @internal
 */
export function strict<S extends z.ZodRawShape>(shape: S, hints: Record<string, string> = {}) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? hints[issue.keys[0] ?? ''] : undefined),
  });
}

/**
 * A union chosen by the value of `key`; an unknown value is reported on `key` with the choices.
 * @internal
 */
export function byKey<const O extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  key: string,
  values: readonly string[],
  options: O,
) {
  return z.discriminatedUnion(key, options as never as O & [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]], {
    error: (issue) => {
      const given = (issue.input as Record<string, unknown> | undefined)?.[key];
      const choices = values.join(', ');
      return given === undefined ? `is required; use one of: ${choices}` : `${typeof given === 'string' ? quote(given) : quote(String(JSON.stringify(given)))} is not supported; use one of: ${choices}`;
    },
  });
}

/** Formats a zod path the way people write it: `interactive.action.buttons[1].reply.title`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `text ${quote(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

/** Turns one zod issue into the `ValidationError` our callers see: field path + problem + limit. */
function toValidationError(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ValidationError {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input;
      const problem =
        input === undefined ? 'is required' : `must be ${EXPECTED[issue.expected] ?? issue.expected}, got ${describe(input)}`;
      return new ValidationError(formatPath(path), problem);
    }
    case 'invalid_value': {
      const input = (issue as { input?: unknown }).input;
      const wanted = issue.values.map((v) => JSON.stringify(v));
      const problem = `${wanted.length === 1 ? `must be ${wanted[0]}` : `must be one of ${wanted.join(', ')}`}, got ${typeof input === "string" ? quote(input) : quote(String(JSON.stringify(input)))}`;
      return new ValidationError(formatPath(path), problem);
    }
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      const problem = issue.message.startsWith('Unrecognized key')
        ? 'is not a field Meta accepts here (check the spelling and the message type)'
        : issue.message;
      return new ValidationError(formatPath([...path, key]), problem);
    }
    case 'too_big':
      return new ValidationError(formatPath(path), `must be at most ${String(issue.maximum)}`);
    case 'too_small':
      return new ValidationError(formatPath(path), `must be at least ${String(issue.minimum)}`);
    default:
      return new ValidationError(formatPath(path), issue.message);
  }
}

/**
 * Validates `input` with `schema` and returns the parsed value, or throws a `ValidationError` for the
 * first problem (its `field` is the path, prefixed with `prefix`).
 * @internal
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, prefix: readonly PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw toValidationError(result.error.issues[0]!, prefix);
}
