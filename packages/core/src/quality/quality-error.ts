import { WhatsAppError, type ErrorCategory } from '../errors/whatsapp-error';

/** The stable codes of the quality guard's refusals. */
export type QualityRefusalCode =
  | 'recipient_suppressed'
  | 'marketing_opted_out'
  | 'marketing_cooling_down'
  | 'marketing_paused'
  | 'number_quality_red';

/** The option that switches each refusal off (named in every hint). */
export const QUALITY_RULE_SWITCH: Readonly<Record<QualityRefusalCode, string>> = {
  recipient_suppressed: 'quality.suppressUndeliverable: false',
  marketing_opted_out: 'quality.respectMarketingOptOut: false',
  marketing_cooling_down: 'quality.marketingCoolDownMs: 0',
  marketing_paused: 'quality.spamPauseMs: 0',
  number_quality_red: 'quality.allowSendsWhenRed: true',
};

function withSwitch(advice: string, switchName: string): string {
  return `${advice} To send anyway, switch the rule off (${switchName}).`;
}

const CATEGORY: Readonly<Record<QualityRefusalCode, ErrorCategory>> = {
  recipient_suppressed: 'recipient',
  marketing_opted_out: 'recipient',
  marketing_cooling_down: 'recipient',
  marketing_paused: 'rate_limit',
  number_quality_red: 'policy',
};

/**
 * The quality guard refused a send BEFORE any request, to protect the business number's quality
 * rating: the recipient was undeliverable recently (131026), stopped marketing messages
 * (`user_preferences` stop, 131050), hit Meta's per-user marketing limit (131049), the number's
 * marketing sends are paused after a spam-rate limit (131048), or the number's quality is RED.
 * `code` says which; `until` says when the hold ends (when it does). Fix: what `hint` says, or
 * switch the rule off (the hint names the option).
 */
export class QualityGuardError extends WhatsAppError {
  declare readonly code: QualityRefusalCode;
  /** The recipient as sent, when the refusal is about one recipient. */
  readonly recipient: string | undefined;
  /** When the hold ends (suppression, cool-down, pause); undefined for opt-outs and RED. */
  readonly until: Date | undefined;
  /** What to do, without the switch: adapters name the switch as their own UI does (`hintWithSwitch`). */
  readonly advice: string;

  constructor(code: QualityRefusalCode, message: string, advice: string, details: { recipient?: string; until?: Date } = {}) {
    super(message, {
      code,
      category: CATEGORY[code],
      retryable: code === 'marketing_cooling_down' || code === 'marketing_paused',
      hint: withSwitch(advice, QUALITY_RULE_SWITCH[code]),
    });
    this.name = 'QualityGuardError';
    this.recipient = details.recipient;
    this.until = details.until;
    this.advice = advice;
  }

  /** The hint with the switch named `switchName` (n8n: "Quality Guard → …", Node-RED: the config node's field). */
  hintWithSwitch(switchName: string): string {
    return withSwitch(this.advice, switchName);
  }

  /**
   * Any error's hint; a quality refusal's names the switch as `switches` does (an adapter's own UI).
   * By name, not instanceof: the process-wide guard may come from another bundle's copy of core.
   */
  static hintOf(error: WhatsAppError, switches: Readonly<Record<QualityRefusalCode, string>>): string {
    const refusal = error as QualityGuardError;
    const switchName = error.name === 'QualityGuardError' ? switches[refusal.code] : undefined;
    return switchName && typeof refusal.hintWithSwitch === 'function' ? refusal.hintWithSwitch(switchName) : error.hint;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), recipient: this.recipient, until: this.until?.toISOString() };
  }
}
