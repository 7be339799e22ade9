/** Account-health protection: the quality guard, its errors, template categories, webhook feed. */
export {
  QualityGuard,
  resolveQualityRules,
  QUALITY_DEFAULTS,
  QUALITY_MAX_HOLD_MS,
  isQualityHoldMs,
  QUALITY_CODES,
  type QualityRating,
  type QualityOptions,
  type QualityGuardOptions,
  type QualityChange,
  type QualityStatus,
  type QualityRules,
  type QualityCheck,
  type QualitySettings,
} from './quality-guard';
export { QualityGuardError, QUALITY_RULE_SWITCH, type QualityRefusalCode } from './quality-error';
export { TemplateCategoryCache, DEFAULT_CATEGORY_TTL_MS } from './template-categories';
export { applyQualityUpdates } from './webhook-updates';
