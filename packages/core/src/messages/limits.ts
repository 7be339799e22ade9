/**
 * Every length, count and range the Cloud API puts on an outbound message, in one place.
 *
 * Sources: Meta's send docs and OpenAPI v23.0 (see shared/docs/api-facts.md §2). Where they disagree
 * the smaller number is used, so a message we accept is never refused by Meta for that reason.
 * Lengths are characters as people count them (Unicode code points), see `charCount`.
 */
export const LIMITS = {
  /** `text.body`. */
  textBody: 4096,
  /** `image|video|document.caption`. */
  caption: 1024,
  /** `biz_opaque_callback_data` (echoed back in status webhooks). */
  bizOpaqueCallbackData: 512,
  /** Latitude range in degrees. */
  latitude: 90,
  /** Longitude range in degrees. */
  longitude: 180,
  /** Contact cards in one `contacts` message. */
  contacts: 257,
  /** `interactive.body.text`; the list-message doc says 4096, the OpenAPI says 1024: 1024 it is. */
  interactiveBody: 1024,
  /** `interactive.header.text`. */
  interactiveHeaderText: 60,
  /** `interactive.footer.text`. */
  interactiveFooter: 60,
  /** Reply buttons in one message. */
  replyButtons: 3,
  /** `interactive.action.buttons[].reply.id`. */
  replyButtonId: 256,
  /** `interactive.action.buttons[].reply.title`. */
  replyButtonTitle: 20,
  /** `interactive.action.button` (the label that opens a list). */
  listButton: 20,
  /** Sections in a list or multi-product message. */
  listSections: 10,
  /** Rows in a list, counted over all sections. */
  listRows: 10,
  /** `sections[].title`. */
  sectionTitle: 24,
  /** `rows[].id`. */
  listRowId: 200,
  /** `rows[].title`. */
  listRowTitle: 24,
  /** `rows[].description`. */
  listRowDescription: 72,
  /** `cta_url` `display_text`. */
  ctaDisplayText: 20,
  /** Flow `flow_cta` (Meta "advises" 30; we enforce it). */
  flowCta: 30,
  /** Products in a multi-product (`product_list`) message, over all sections. */
  productListItems: 30,
  /** Template name. */
  templateName: 512,
  /** Template body `text` parameter. */
  templateBodyText: 32768,
  /** Template header `text` parameter. */
  templateHeaderText: 60,
  /** Copy-code button `coupon_code`. */
  couponCode: 15,
  /** Cards in a carousel template send (Meta: up to 10). */
  carouselCards: 10,
  /** Highest template button `index`. */
  templateButtonIndex: 9,
  /** Recipient phone numbers: digits including the country code (E.164). */
  phoneDigitsMin: 7,
  /** E.164 allows at most 15 digits. */
  phoneDigitsMax: 15,
  /** Business-scoped user ids (BSUID). */
  bsuid: 256,
} as const;

/**
 * Link-shortener hosts Meta refuses (or flags) in media links and template URLs. Exported so template
 * creation checks use the same list. A host matches itself and its `www.` form.
 */
export const URL_SHORTENER_HOSTS: readonly string[] = Object.freeze([
  'bit.ly', 'bitly.com', 'tinyurl.com', 'goo.gl', 't.co', 'ow.ly', 'is.gd', 'buff.ly', 'rebrand.ly', 'cutt.ly',
  'shorturl.at', 'tiny.cc', 'rb.gy', 'bl.ink', 's.id', 't.ly', 'lnkd.in', 'v.gd', 'shorte.st', 'adf.ly', 'soo.gd',
  'clck.ru', 'qrco.de', 'short.io', 'tiny.one', 'shorturl.com', 'u.to', 'x.co',
]);
