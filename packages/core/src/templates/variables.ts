/** `{{1}}` / `{{first_name}}` placeholders of a template text. */

// No `\s*` around a lazy group: the two overlapped and backtracked quadratically on long text
// ("{{" and thousands of spaces). The name is trimmed in code instead.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const POSITIONAL = /^\d+$/;
/** Meta: named parameters are lower case letters, digits and underscores, starting with a letter. */
export const NAMED_PARAMETER = /^[a-z][a-z0-9_]*$/;

export interface Placeholder {
  /** The text between the braces, trimmed (`1`, `first_name`). */
  name: string;
  positional: boolean;
  start: number;
  end: number;
}

export function placeholders(text: string | undefined): Placeholder[] {
  if (!text) return [];
  return [...text.matchAll(PLACEHOLDER)].map((match) => ({
    name: match[1]!.trim(),
    positional: POSITIONAL.test(match[1]!.trim()),
    start: match.index!,
    end: match.index! + match[0].length,
  }));
}

/** Distinct placeholders in first-seen order (positional ones sorted by number). */
export function distinctVariables(text: string | undefined): Placeholder[] {
  const seen = new Map<string, Placeholder>();
  for (const p of placeholders(text)) if (!seen.has(p.name)) seen.set(p.name, p);
  const list = [...seen.values()];
  return list.every((p) => p.positional) ? list.sort((a, b) => Number(a.name) - Number(b.name)) : list;
}

export function upper(value: unknown): string {
  return typeof value === 'string' ? value.toUpperCase() : '';
}
