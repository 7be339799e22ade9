import { isQualityHoldMs, isThroughputFactor, QUALITY_DEFAULTS, QUALITY_MAX_HOLD_MS, WhatsAppError, type QualityOptions, type QualityRefusalCode, type QualityStatus } from './core';
import type { NodeDef, NodeStatus } from './node-red';

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

// ---------------------------------------------------------------------------------------------
// The config node's "Quality guard" section: core's quality rules, each one a field.
// ---------------------------------------------------------------------------------------------

/** The config node's quality-guard properties (as saved in flows.json). */
export type QualityField =
  | 'qualityGuard'
  | 'suppressUndeliverable'
  | 'respectMarketingOptOut'
  | 'allowSendsWhenRed'
  | 'marketingCoolDownHours'
  | 'spamPauseHours'
  | 'yellowThroughputFactor';

/** The section's title in the editor (locale `whatsapp-cloud-config.quality.title`). */
export const QUALITY_SECTION = 'Quality guard';

/**
 * Each field's label, exactly as the editor shows it (locale `whatsapp-cloud-config.quality.<field>`;
 * a test keeps the two equal). Errors and hints name fields with these words.
 */
export const QUALITY_FIELD_LABELS: Readonly<Record<QualityField, string>> = {
  qualityGuard: 'Enabled',
  suppressUndeliverable: 'Suppress undeliverable recipients',
  respectMarketingOptOut: 'Respect marketing opt-out',
  allowSendsWhenRed: 'Allow template sends while RED',
  marketingCoolDownHours: 'Marketing cool-down',
  spamPauseHours: 'Spam pause',
  yellowThroughputFactor: 'YELLOW throughput factor',
};

/** `config node → Quality guard → <label>`: where a user finds a field. */
export function qualityFieldPath(field: QualityField): string {
  return `config node → ${QUALITY_SECTION} → ${QUALITY_FIELD_LABELS[field]}`;
}

/**
 * THE map from a refusal code to the config node field (and value) that switches the rule off. Core's
 * hint names its own option (`quality.respectMarketingOptOut: false`), which a Node-RED user cannot
 * set; `toNodeRedError` puts this instead (core's `hintWithSwitch`).
 */
export const QUALITY_SWITCHES: Readonly<Record<QualityRefusalCode, string>> = {
  recipient_suppressed: `${qualityFieldPath('suppressUndeliverable')}: off`,
  marketing_opted_out: `${qualityFieldPath('respectMarketingOptOut')}: off`,
  marketing_cooling_down: `${qualityFieldPath('marketingCoolDownHours')}: 0`,
  marketing_paused: `${qualityFieldPath('spamPauseHours')}: 0`,
  number_quality_red: `${qualityFieldPath('allowSendsWhenRed')}: on`,
};

const HOUR_MS = 60 * 60 * 1000;

/** The hour fields accept 0 (rule off) up to core's limit (a year); the editor's validators use the same. */
export const QUALITY_MAX_HOURS = QUALITY_MAX_HOLD_MS / HOUR_MS;

/** Defaults as the editor shows them, from core's QUALITY_DEFAULTS (hours for the durations). */
export const QUALITY_FIELD_DEFAULTS: Readonly<Record<QualityField, boolean | number>> = {
  qualityGuard: true,
  suppressUndeliverable: true,
  respectMarketingOptOut: true,
  allowSendsWhenRed: false,
  marketingCoolDownHours: QUALITY_DEFAULTS.marketingCoolDownMs / HOUR_MS,
  spamPauseHours: QUALITY_DEFAULTS.spamPauseMs / HOUR_MS,
  yellowThroughputFactor: QUALITY_DEFAULTS.yellowThroughputFactor,
};

/** The quality options the config node gives its client (the shared guard is added by the node). */
export type ConfigQualityOptions = Omit<QualityOptions, 'guard' | 'onChange'>;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? text.slice(0, 39) + '…' : text;
}

function invalid(field: QualityField, value: unknown, limit: string, hint: string): WhatsAppError {
  return new WhatsAppError(`${qualityFieldPath(field)}: ${shown(value)} is not allowed, ${limit}`, {
    code: 'invalid_option',
    category: 'validation',
    hint: `Open the config node and set ${QUALITY_SECTION} → ${QUALITY_FIELD_LABELS[field]} ${hint}.`,
  });
}

/** Not saved (a flow from before these fields existed) or left empty: core's default applies. */
const unset = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

function flag(def: NodeDef, field: QualityField): boolean | undefined {
  const value = def[field];
  if (unset(value)) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalid(field, value, 'it must be on or off (true or false)', `on or off (default ${QUALITY_FIELD_DEFAULTS[field] ? 'on' : 'off'})`);
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function decimal(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return Number(value.trim());
  return Number.NaN;
}

function hours(def: NodeDef, field: 'marketingCoolDownHours' | 'spamPauseHours'): number | undefined {
  const value = def[field];
  if (unset(value)) return undefined;
  const ms = decimal(value) * HOUR_MS;
  if (!isQualityHoldMs(ms)) {
    throw invalid(
      field,
      value,
      `it must be a number of hours from 0 (rule off) to ${QUALITY_MAX_HOURS} (one year)`,
      `to 0–${QUALITY_MAX_HOURS} hours (default ${QUALITY_FIELD_DEFAULTS[field]}; 0 switches the rule off)`,
    );
  }
  return Math.round(ms);
}

function factor(def: NodeDef): number | undefined {
  const field = 'yellowThroughputFactor';
  const value = def[field];
  if (unset(value)) return undefined;
  const n = decimal(value);
  if (!isThroughputFactor(n)) {
    throw invalid(
      field,
      value,
      'it must be above 0 and at most 1 (the share of the throughput used while the rating is YELLOW or RED)',
      `to a share above 0 and at most 1 (default ${QUALITY_FIELD_DEFAULTS[field]}; 1 = no slow-down)`,
    );
  }
  return n;
}

/**
 * Core's quality options from the config node's "Quality guard" fields. A field that is not saved
 * (flows from before these fields existed) or left empty is left out, so core's default applies:
 * such a flow behaves exactly as before. A value out of range throws a `WhatsAppError`
 * (`invalid_option`) naming the field and the limit; nothing is clamped.
 */
export function qualityOptions(def: NodeDef): ConfigQualityOptions {
  const out: ConfigQualityOptions = {};
  const enabled = flag(def, 'qualityGuard');
  const suppress = flag(def, 'suppressUndeliverable');
  const optOut = flag(def, 'respectMarketingOptOut');
  const red = flag(def, 'allowSendsWhenRed');
  const coolDown = hours(def, 'marketingCoolDownHours');
  const pause = hours(def, 'spamPauseHours');
  const yellow = factor(def);
  if (enabled !== undefined) out.enabled = enabled;
  if (suppress !== undefined) out.suppressUndeliverable = suppress;
  if (optOut !== undefined) out.respectMarketingOptOut = optOut;
  if (red !== undefined) out.allowSendsWhenRed = red;
  if (coolDown !== undefined) out.marketingCoolDownMs = coolDown;
  if (pause !== undefined) out.spamPauseMs = pause;
  if (yellow !== undefined) out.yellowThroughputFactor = yellow;
  return out;
}
