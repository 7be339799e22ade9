import type { ErrorCategory } from './whatsapp-error';

/**
 * How the client may retry a code on its own:
 * - `backoff`: transient; retry with exponential backoff;
 * - `once`: retry a single time (Meta's "API Unknown" may be a server hiccup or a bad request);
 * - `never`: retrying the same request cannot help (fix input, token, template or wait long).
 */
export type AutoRetry = 'backoff' | 'once' | 'never';

export interface ErrorRule {
  category: ErrorCategory;
  /** A later attempt can succeed without changing the request (possibly after a long wait). */
  retryable: boolean;
  autoRetry: AutoRetry;
  /** One sentence for a non-developer: what to do. */
  hint: string;
  /**
   * "Retryable later": a `failed` status webhook with this code may be re-sent unchanged after this
   * many ms (the delivery ledger's re-send option, ledger/resender.ts). Absent: never re-sent
   * automatically (fix the input, the template or the account, or the user said no).
   */
  resendAfterMs?: number;
}

const rule = (category: ErrorCategory, autoRetry: AutoRetry, hint: string, retryable = autoRetry !== 'never'): ErrorRule => ({
  category,
  retryable,
  autoRetry,
  hint,
});

const MINUTE = 60_000;

/** A rule whose asynchronous failure (status webhook) is re-sent after `ms` when the re-send option is on. */
const later = (base: ErrorRule, ms: number): ErrorRule => ({ ...base, resendAfterMs: ms });

/**
 * Every code of api-facts.md §6, keyed on Meta's code (never on HTTP status or message text).
 *
 * Re-send delays (`later(…)`, used only when the ledger's re-send option is on): transient Meta
 * failures 2, 131000, 131016 after 5 minutes ("retry, then Direct Support"); 131057 maintenance
 * after 2 minutes (Meta: "retry after ~1 min"); 2494100 number migration after 10 minutes; the
 * throughput (130429) and pair-rate (131056) limits after 1 minute (both windows are seconds long);
 * 131049 per-user marketing limit after 24 hours (Meta: "wait ≥24 h; don't tight-loop"). Never
 * re-sent: 130472 (marketing experiment), 131026 and 131050 (permanent: they feed the quality
 * guard instead), 131047 (needs a template), 131048 (spam limit: re-sending hurts the rating), and
 * every input, template, auth or policy code.
 */
export const ERROR_TABLE: Readonly<Record<number, ErrorRule>> = {
  0: rule('auth', 'never', 'The access token could not be authenticated: create a new System User token in Business Settings and paste it into the credentials.'),
  1: rule('transient', 'once', 'Meta could not process the request: if it happens again, check the WhatsApp API status page and then the message content.'),
  2: later(rule('transient', 'backoff', 'WhatsApp is temporarily unavailable: the node retries automatically; if it keeps failing, try again in a few minutes.'), 5 * MINUTE),
  3: rule('auth', 'never', 'The token lacks the capability for this call: give the System User the whatsapp_business_messaging and whatsapp_business_management permissions.'),
  4: rule('rate_limit', 'backoff', 'Your Meta app made too many API calls: the node backs off; lower the send rate or spread the work over time.'),
  10: rule('auth', 'never', 'Permission denied: make sure the System User token has whatsapp_business_messaging and whatsapp_business_management and is assigned to this WhatsApp account.'),
  33: rule('invalid_request', 'never', 'This phone number ID does not exist (the number may have been deleted): copy the Phone number ID again from WhatsApp Manager → API Setup.'),
  100: rule('invalid_request', 'never', 'Meta rejected a parameter: read the details, fix that field (or check that the phone number ID is not the WABA ID), and send again.'),
  190: rule('auth', 'never', 'The access token has expired or is invalid: generate a new permanent System User token and update the credentials.'),
  368: rule('policy', 'never', 'The account is temporarily blocked for a policy violation: stop sending and check Account Quality in WhatsApp Manager.'),
  613: rule('rate_limit', 'never', 'Too many calls to this endpoint: wait a while before trying again.', true),
  80007: rule('rate_limit', 'backoff', 'The WhatsApp Business Account reached its hourly API call limit: the node backs off; reduce management calls (template lists, health checks).'),
  80008: rule('rate_limit', 'never', 'Too many calls to this WhatsApp Business Account\'s templates: wait before listing or changing templates again.', true),
  130429: later(rule('rate_limit', 'backoff', 'The phone number\'s send rate (messages per second) was exceeded: the node slows down and retries; lower the throughput setting if it persists.'), MINUTE),
  130472: rule('recipient', 'never', 'Meta held this marketing message back because the user is part of a marketing experiment: do not resend it (you are not charged).'),
  130497: rule('policy', 'never', 'Your business may not message users in this country: remove these recipients from the campaign.'),
  131000: later(rule('transient', 'backoff', 'Something went wrong at Meta: the node retried; if it persists, contact Meta Direct Support with the fbtrace ID.'), 5 * MINUTE),
  131005: rule('auth', 'never', 'Access denied: check the token\'s permissions and that the System User is assigned to this WhatsApp account.'),
  131008: rule('invalid_request', 'never', 'A required parameter is missing: read the details and fill in that field.'),
  131009: rule('invalid_request', 'never', 'A parameter value is not valid (for reactions: the message may be older than 30 days or deleted): fix the value named in the details.'),
  131016: later(rule('transient', 'backoff', 'The WhatsApp service is overloaded: the node retries with a pause; try again later if it keeps failing.'), 5 * MINUTE),
  131021: rule('recipient', 'never', 'You tried to message the business number itself: use the customer\'s number as the recipient.'),
  131026: rule('recipient', 'never', 'The message could not be delivered (the number may not be on WhatsApp, on an old app, or has blocked you): do not retry; check the number or reach the person another way.'),
  131030: rule('recipient', 'never', 'While testing, you can only message numbers on the allowed list: add this number in App Dashboard → WhatsApp → API Setup (for Mexico try with and without the 1 after 52).'),
  131031: rule('policy', 'never', 'The business account is locked: check Account Quality / health status in WhatsApp Manager before sending again.'),
  131037: rule('policy', 'never', 'This number needs an approved display name before it can send: request one in WhatsApp Manager → Phone numbers.'),
  131042: rule('policy', 'never', 'There is a payment or eligibility problem with the account: fix the payment method in Business Settings, then send again.'),
  131044: rule('policy', 'never', 'There is a payment problem with calling on this account: fix the payment method in Business Settings.'),
  131045: rule('policy', 'never', 'The phone number registration is broken (certificate): register the number again.'),
  131047: rule('window', 'never', 'More than 24 hours have passed since the user last wrote: send an approved template instead of a free-form message.'),
  131048: rule('rate_limit', 'never', 'Meta limited sends from this number for spam risk: check the quality rating, slow down and message only people who opted in.', true),
  131049: later(rule('recipient', 'never', 'Meta chose not to deliver this marketing message to keep engagement healthy: wait at least 24 hours before sending this user another marketing template.', true), 24 * 60 * MINUTE),
  131050: rule('recipient', 'never', 'This user stopped marketing messages from you: do not send them marketing templates (utility messages still work).'),
  131051: rule('invalid_request', 'never', 'This message type is not supported: use one of the supported types (text, media, template, interactive…).'),
  131052: rule('media', 'never', 'The user\'s media could not be downloaded: ask them to send it again.'),
  131053: rule('media', 'never', 'The media could not be uploaded or fetched: check the file type and size (and that the link is public https), then try again.'),
  131055: rule('invalid_request', 'never', 'This endpoint only accepts marketing templates: send other messages through the normal messages endpoint.'),
  131056: later(rule('rate_limit', 'backoff', 'Too many messages to this user in a short time: the node waits and retries for this user only; space out messages to the same person.'), MINUTE),
  131057: later(rule('transient', 'backoff', 'The account is in maintenance (for example a throughput upgrade): the node retries; sends resume within a few minutes.'), 2 * MINUTE),
  131059: rule('invalid_request', 'never', 'The page cursor is no longer valid: list the templates again from the first page.', true),
  131062: rule('recipient', 'never', 'Authentication templates cannot be sent to a username (BSUID): send to the user\'s phone number.'),
  131063: rule('policy', 'never', 'Marketing templates are disabled for the Cloud API on this account: use the Marketing Messages API or a utility template.'),
  131064: rule('policy', 'never', 'The messaging limit was lowered because templates were classified wrongly: review template categories in WhatsApp Manager.', true),
  132000: rule('template', 'never', 'The number of template parameters does not match the template: give exactly the variables the template defines.'),
  132001: rule('template', 'never', 'This template does not exist in that language or is not approved: check the template name and language code (en vs en_US) in WhatsApp Manager.'),
  132005: rule('template', 'never', 'The template text is too long once the parameters are filled in: shorten the parameter values.'),
  132007: rule('template', 'never', 'A parameter breaks the template\'s format rules (for example new lines, tabs or more than 4 spaces): clean up the value.'),
  132008: rule('template', 'never', 'A template parameter value is not valid: check each parameter\'s type and value.'),
  132012: rule('template', 'never', 'A parameter has the wrong format for the template (for example text where an image is expected, or positional vs named): match the template\'s definition.'),
  132015: rule('template', 'never', 'The template is paused because of low quality: edit it or wait for Meta to unpause it.', true),
  132016: rule('template', 'never', 'The template was disabled for low quality: create a new template.'),
  132018: rule('template', 'never', 'The template parameters are not valid: check named vs positional parameters and their values.'),
  132068: rule('template', 'never', 'The Flow is blocked: fix the Flow in WhatsApp Manager before sending it.'),
  132069: rule('rate_limit', 'never', 'The Flow is throttled to 10 messages per hour: wait, or fix its health issues.', true),
  133000: rule('policy', 'never', 'A previous deregistration did not finish: deregister the number again, then register it.'),
  133004: rule('transient', 'backoff', 'The registration server is unavailable: the node retries; try again in a few minutes.'),
  133005: rule('policy', 'never', 'The two-step verification PIN is wrong: use the PIN set in WhatsApp Manager, or reset it.'),
  133006: rule('policy', 'never', 'The phone number must be verified again before registering: verify it in WhatsApp Manager.'),
  133008: rule('rate_limit', 'never', 'Too many wrong PIN attempts: wait the time given in the details before trying again.', true),
  133009: rule('rate_limit', 'never', 'The PIN was entered too quickly: wait a moment and try again.', true),
  133010: rule('policy', 'never', 'The phone number is not registered with the Cloud API: register it (set the two-step PIN, then register).'),
  133015: rule('rate_limit', 'never', 'This number was deleted recently: wait 5 minutes before registering it again.', true),
  133016: rule('rate_limit', 'never', 'The number was registered or deregistered too often (10 times in 72 hours): wait 72 hours.', true),
  134011: rule('policy', 'never', 'WhatsApp Payments terms were not accepted: accept them in WhatsApp Manager.'),
  134100: rule('policy', 'never', 'The Marketing Messages API only accepts marketing templates: send this message through the normal endpoint.'),
  134101: rule('template', 'never', 'The template is still syncing to the Marketing Messages API (up to 10 minutes): try again shortly.', true),
  // Meta's MM API error codes: "(#134102) Template unavailable for use" — ad sync failed or the
  // account is not eligible; check marketing_messages_lite_api_status is ONBOARDED.
  134102: rule('template', 'never', 'The template is unavailable on the Marketing Messages API: check that the account is onboarded (marketing_messages_lite_api_status ONBOARDED), or send it through the Cloud API with the Marketing Messages API option off.', true),
  135000: rule('invalid_request', 'never', 'Meta reported a generic user error: check the request parameters.'),
  137000: rule('recipient', 'never', 'The user\'s identity key changed: resend without the identity hash once you trust the new identity.'),
  2494100: later(rule('transient', 'backoff', 'The phone number is in maintenance (migration): the node retries; wait until migration ends.'), 10 * MINUTE),
  2593107: rule('policy', 'never', 'The coexistence sync limit was reached: wait before syncing again.'),
  2593108: rule('policy', 'never', 'The coexistence sync limit was reached: wait before syncing again.'),
};

/** Code families with one rule for the whole range (checked after exact codes). */
const RANGES: ReadonlyArray<{ from: number; to: number; rule: ErrorRule }> = [
  { from: 200, to: 299, rule: rule('auth', 'never', 'A permission is missing: give the System User token whatsapp_business_messaging and whatsapp_business_management for this WhatsApp account.') },
  { from: 132000, to: 132999, rule: rule('template', 'never', 'Meta rejected the template message: check the template name, language and parameters in WhatsApp Manager.') },
  { from: 133000, to: 133999, rule: rule('policy', 'never', 'Phone number registration failed: check the number\'s status in WhatsApp Manager and the details.') },
  { from: 138000, to: 138018, rule: rule('invalid_request', 'never', 'A WhatsApp calling error: check the calling settings of this number.') },
  { from: 139000, to: 139004, rule: rule('invalid_request', 'never', 'The Flow could not be managed: fix the Flow JSON or its state in WhatsApp Manager.') },
  { from: 139100, to: 139103, rule: rule('invalid_request', 'never', 'Blocking or unblocking the user failed: the user may not have messaged you in the last 24 hours, or the block list is full.') },
  { from: 2388000, to: 2388999, rule: rule('template', 'never', 'Meta refused the template definition: check lengths, variables ({{1}}… in order, none at the start or end) and the number of templates.') },
];

/** Unknown codes: never auto-retried, never guessed from text. */
export const UNKNOWN_RULE: ErrorRule = rule('unknown', 'never', 'Meta returned an error this node does not know yet: read the message and details, and check Meta\'s error code reference.');

/** A 5xx answer that carries no Meta code at all (a proxy or load balancer failed). */
export const HTTP_5XX_RULE: ErrorRule = rule('transient', 'backoff', 'The WhatsApp API (or a proxy in front of it) answered with a server error: safe calls are retried; if it keeps failing, check the base URL and Meta\'s status page.');

/** How long to wait before re-sending a message that failed with `code` on the status webhook; undefined: never. */
export function resendDelayForCode(code: number | undefined): number | undefined {
  return code === undefined ? undefined : ruleForCode(code)?.resendAfterMs;
}

/** Looks a Meta code up: the exact code first, then its family. */
export function ruleForCode(code: number): ErrorRule | undefined {
  const exact = ERROR_TABLE[code];
  if (exact) return exact;
  return RANGES.find((range) => code >= range.from && code <= range.to)?.rule;
}
