/**
 * The Marketing Messages API (`POST /<PHONE_NUMBER_ID>/marketing_messages`, Meta's "MM API for
 * WhatsApp"): for accounts that accepted its terms, marketing templates go through it; everything
 * else keeps using `/messages` (the endpoint accepts only marketing templates: 131055 / 134100).
 * Routing follows each template's latest category (Meta may re-categorise a template; the
 * `template_category_update` webhook keeps the cache current). Field names from Meta's "Send
 * marketing messages" guide: `product_policy` (`CLOUD_API_FALLBACK` | `STRICT`) and
 * `message_activity_sharing`.
 */

/** The edge marketing templates are posted to when the option is on. */
export const MARKETING_MESSAGES_EDGE = 'marketing_messages';

export type MarketingProductPolicy = 'CLOUD_API_FALLBACK' | 'STRICT';
export const MARKETING_PRODUCT_POLICIES: readonly MarketingProductPolicy[] = ['CLOUD_API_FALLBACK', 'STRICT'];

export interface MarketingMessagesOptions {
  /**
   * Send MARKETING templates through the Marketing Messages API. Needs the WABA ID (to read each
   * template's category). Templates of other categories, and templates whose category cannot be
   * read, go through `/messages` as before.
   * @default false
   */
  enabled?: boolean;
  /**
   * `CLOUD_API_FALLBACK`: Meta sends through the Cloud API when the account is not onboarded;
   * `STRICT`: Meta refuses instead. Left out, Meta's default applies.
   */
  productPolicy?: MarketingProductPolicy;
  /** Share message activity (reads, clicks) with Meta to optimise delivery; left out, the WABA's setting applies. */
  messageActivitySharing?: boolean;
}

/** The extra body fields of a Marketing Messages API send. */
export function marketingFields(options: MarketingMessagesOptions): Record<string, unknown> {
  return {
    ...(options.productPolicy ? { product_policy: options.productPolicy } : {}),
    ...(options.messageActivitySharing !== undefined ? { message_activity_sharing: options.messageActivitySharing } : {}),
  };
}
