import type { QualityStatus } from './core';
import type { NodeStatus } from './node-red';

/** `GREEN · TIER_1K` (rating, then the messaging limit tier when known). */
export function qualityLabel(quality: QualityStatus): string {
  return [quality.rating, quality.tier].filter(Boolean).join(' · ');
}

/** The status ring colour for a rating. */
export function qualityFill(quality: QualityStatus | undefined): NodeStatus['fill'] {
  switch (quality?.rating) {
    case 'YELLOW':
      return 'yellow';
    case 'RED':
      return 'red';
    case 'GREEN':
      return 'green';
    default:
      return 'grey';
  }
}

/** A node's idle status: its own text (e.g. `sent`) and the number's rating and tier. */
export function idleStatus(text: string | undefined, quality: QualityStatus | undefined): NodeStatus | Record<string, never> {
  const parts = [text, quality ? qualityLabel(quality) : undefined].filter((p): p is string => Boolean(p));
  if (parts.length === 0) return {};
  return { fill: quality ? qualityFill(quality) : 'green', shape: 'dot', text: parts.join(' · ') };
}
