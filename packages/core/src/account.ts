import { ValidationError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';
import { getPhoneNumber, type PhoneNumberInfo } from './phone-numbers';
import type { QualityGuard, QualityStatus } from './quality/quality-guard';
import { normalizeRecipient } from './recipient';

/**
 * Account operations on one business phone number: registration, business profile, blocked users
 * and a health snapshot with plain-words advice. Every input rule Meta documents (api-facts §4) is
 * checked before a request, with the field named.
 */

const path = (id: string, edge?: string) => (edge ? `${encodeURIComponent(id)}/${edge}` : encodeURIComponent(id));

function checkPin(pin: unknown): string {
  if (typeof pin !== 'string' || !/^\d{6}$/.test(pin)) {
    throw new ValidationError('pin', 'the two-step verification PIN must be exactly 6 digits', 'Choose a 6-digit PIN (digits only) and keep it: Meta asks for it when the number is registered again.');
  }
  return pin;
}

/** The result of {@link registerPhoneNumber}. */
export interface RegisterResult {
  /** The number reads back as connected to the Cloud API. */
  registered: boolean;
  /** The number as read after registering. */
  phone: PhoneNumberInfo;
  /** Set when the read-back does not show a connected number yet (Meta may need a minute). */
  warning?: string;
}

/**
 * Registers a phone number with the Cloud API, the way that avoids 133005 (PIN mismatch) and fixes
 * 133010 (not registered): sets the two-step verification PIN first (`POST /{id} {pin}`), then
 * registers with the same PIN (`POST /{id}/register`), then reads the number back to check it is
 * connected. Register and deregister are limited to 10 calls per number per 72 hours (133016).
 *
 * @throws ValidationError when the PIN is not 6 digits (before any request)
 * @example
 * const { registered } = await registerPhoneNumber(graph, phoneNumberId, { pin: '246810' });
 */
export async function registerPhoneNumber(graph: GraphApi, phoneNumberId: string, options: { pin: string }): Promise<RegisterResult> {
  const pin = checkPin(options?.pin);
  await graph.request('POST', path(phoneNumberId), { json: { pin } });
  await graph.request('POST', path(phoneNumberId, 'register'), { json: { messaging_product: 'whatsapp', pin } });
  const phone = await getPhoneNumber(graph, phoneNumberId);
  const registered = phone.status === 'CONNECTED' || phone.status === 'FLAGGED' || (phone.status === undefined && phone.platformType === 'CLOUD_API');
  const result: RegisterResult = { registered, phone };
  if (!registered) {
    result.warning = `Meta accepted the registration but the number reads back as ${phone.status ?? 'unknown'}: check it again in a minute, and in WhatsApp Manager if it stays so.`;
  }
  return result;
}

/**
 * Deregisters a phone number from the Cloud API (it stops sending and receiving until registered
 * again; counts toward the 10 register/deregister calls per 72 hours).
 * @example
 * await deregisterPhoneNumber(graph, phoneNumberId);
 */
export async function deregisterPhoneNumber(graph: GraphApi, phoneNumberId: string): Promise<{ success: boolean }> {
  const body = await graph.request<{ success?: boolean }>('POST', path(phoneNumberId, 'deregister'), { json: {} });
  return { success: body.success === true };
}

/** Business profile fields, in Meta's names. */
export interface BusinessProfile {
  about?: string;
  address?: string;
  description?: string;
  email?: string;
  profile_picture_url?: string;
  websites?: string[];
  vertical?: string;
}

/** What {@link updateBusinessProfile} may change (`profile_picture_handle`: a Resumable Upload handle). */
export type BusinessProfileUpdate = Omit<BusinessProfile, 'profile_picture_url'> & { profile_picture_handle?: string };

/** The industries Meta accepts as `vertical`. */
export const BUSINESS_VERTICALS = [
  'OTHER', 'AUTO', 'BEAUTY', 'APPAREL', 'EDU', 'ENTERTAIN', 'EVENT_PLAN', 'FINANCE', 'GROCERY', 'GOVT', 'HOTEL', 'HEALTH',
  'NONPROFIT', 'PROF_SERVICES', 'RETAIL', 'TRAVEL', 'RESTAURANT', 'ALCOHOL', 'ONLINE_GAMBLING', 'PHYSICAL_GAMBLING', 'OTC_DRUGS',
] as const;

/** Profile text limits (api-facts §4). */
export const BUSINESS_PROFILE_LIMITS = Object.freeze({ about: 139, address: 256, description: 256, email: 128, websites: 2, website: 256 });

const PROFILE_FIELDS = 'about,address,description,email,profile_picture_url,websites,vertical';

/**
 * Reads the number's business profile.
 * @example
 * const profile = await getBusinessProfile(graph, phoneNumberId); // profile.about
 */
export async function getBusinessProfile(graph: GraphApi, phoneNumberId: string): Promise<BusinessProfile> {
  const body = await graph.request<{ data?: Array<BusinessProfile & { messaging_product?: string }> }>('GET', path(phoneNumberId, 'whatsapp_business_profile'), {
    query: { fields: PROFILE_FIELDS },
  });
  const { messaging_product: _product, ...profile } = body.data?.[0] ?? {};
  return profile;
}

/** Checks an update against Meta's limits; throws a ValidationError naming the field. */
export function validateBusinessProfileUpdate(update: BusinessProfileUpdate): void {
  if (!update || typeof update !== 'object') throw new ValidationError('profile', 'give the fields to change as an object');
  const known = new Set(['about', 'address', 'description', 'email', 'websites', 'vertical', 'profile_picture_handle']);
  const fields = Object.keys(update).filter((field) => (update as Record<string, unknown>)[field] !== undefined);
  const unknown = fields.find((field) => !known.has(field));
  if (unknown) throw new ValidationError(unknown, `is not a business profile field (known: ${[...known].join(', ')})`);
  if (fields.length === 0) throw new ValidationError('profile', 'nothing to update: give at least one field');
  for (const field of ['about', 'address', 'description', 'email'] as const) {
    const value = update[field];
    if (value === undefined) continue;
    const max = BUSINESS_PROFILE_LIMITS[field];
    if (typeof value !== 'string') throw new ValidationError(field, 'must be text');
    if (value.length > max) throw new ValidationError(field, `${value.length} characters, the limit is ${max}`);
    if (field === 'about' && value.length === 0) throw new ValidationError(field, 'must not be empty (1 to 139 characters)');
  }
  if (update.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(update.email)) throw new ValidationError('email', `"${update.email}" is not an email address`);
  if (update.websites !== undefined) {
    if (!Array.isArray(update.websites)) throw new ValidationError('websites', 'must be a list of URLs');
    if (update.websites.length > BUSINESS_PROFILE_LIMITS.websites) throw new ValidationError('websites', `${update.websites.length} websites, the limit is ${BUSINESS_PROFILE_LIMITS.websites}`);
    update.websites.forEach((url, index) => {
      if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) throw new ValidationError(`websites[${index}]`, 'must be an http(s) URL');
      if (url.length > BUSINESS_PROFILE_LIMITS.website) throw new ValidationError(`websites[${index}]`, `${url.length} characters, the limit is ${BUSINESS_PROFILE_LIMITS.website}`);
    });
  }
  if (update.vertical !== undefined && !(BUSINESS_VERTICALS as readonly string[]).includes(update.vertical)) {
    throw new ValidationError('vertical', `"${update.vertical}" is not one of ${BUSINESS_VERTICALS.join(', ')}`);
  }
}

/**
 * Changes the business profile after {@link validateBusinessProfileUpdate} passes (about ≤ 139,
 * address ≤ 256, description ≤ 256, email ≤ 128, at most 2 websites of ≤ 256, a known vertical).
 * @throws ValidationError before any request
 * @example
 * await updateBusinessProfile(graph, phoneNumberId, { about: 'Open 9–5', websites: ['https://shop.example'] });
 */
export async function updateBusinessProfile(graph: GraphApi, phoneNumberId: string, update: BusinessProfileUpdate): Promise<{ success: boolean }> {
  validateBusinessProfileUpdate(update);
  const body = await graph.request<{ success?: boolean }>('POST', path(phoneNumberId, 'whatsapp_business_profile'), {
    json: { messaging_product: 'whatsapp', ...update },
  });
  return { success: body.success === true };
}

/** A user named in a block or unblock answer. */
export interface BlockedUser {
  /** As given. */
  input: string;
  /** WhatsApp id digits. */
  waId: string;
}

function blockBody(users: readonly string[]) {
  if (!Array.isArray(users) || users.length === 0) throw new ValidationError('users', 'give at least one user to block or unblock');
  return {
    messaging_product: 'whatsapp',
    block_users: users.map((user, index) => ({ user: normalizeRecipient(user, `users[${index}]`).to })),
  };
}

type BlockAnswer = { block_users?: { added_users?: Array<{ input?: string; wa_id?: string }>; removed_users?: Array<{ input?: string; wa_id?: string }> } };

const toUsers = (list: Array<{ input?: string; wa_id?: string }> | undefined): BlockedUser[] =>
  (list ?? []).map((u) => ({ input: String(u.input ?? ''), waId: String(u.wa_id ?? '') }));

/**
 * Blocks users from messaging the number (Meta allows it only for users who wrote in the last 24
 * hours: 139100 otherwise). Blocked users cannot reach the business, and messages to them fail.
 * @example
 * const { added } = await blockUsers(graph, phoneNumberId, ['+14155551234']);
 */
export async function blockUsers(graph: GraphApi, phoneNumberId: string, users: readonly string[]): Promise<{ added: BlockedUser[] }> {
  const body = await graph.request<BlockAnswer>('POST', path(phoneNumberId, 'block_users'), { json: blockBody(users) });
  return { added: toUsers(body.block_users?.added_users) };
}

/**
 * Unblocks users.
 * @example
 * await unblockUsers(graph, phoneNumberId, ['+14155551234']);
 */
export async function unblockUsers(graph: GraphApi, phoneNumberId: string, users: readonly string[]): Promise<{ removed: BlockedUser[] }> {
  const body = await graph.request<BlockAnswer>('DELETE', path(phoneNumberId, 'block_users'), { json: blockBody(users) });
  return { removed: toUsers(body.block_users?.removed_users) };
}

/**
 * Lists the users the number blocked (every page).
 * @example
 * const waIds = await listBlockedUsers(graph, phoneNumberId);
 */
export async function listBlockedUsers(graph: GraphApi, phoneNumberId: string, options: { maxPages?: number } = {}): Promise<string[]> {
  const users: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 20); page++) {
    const body = await graph.request<{ data?: Array<{ wa_id?: string }>; paging?: { cursors?: { after?: string }; next?: string } }>(
      'GET',
      path(phoneNumberId, 'block_users'),
      { query: { limit: 100, after } },
    );
    users.push(...(body.data ?? []).map((u) => String(u.wa_id ?? '')).filter(Boolean));
    after = body.paging?.cursors?.after;
    if (!body.paging?.next || !after) break;
  }
  return users;
}

/** One value of a health snapshot that is not green, with what to do about it. */
export interface HealthAdvice {
  field: 'qualityRating' | 'status' | 'canSendMessage' | 'messagingLimit' | 'throughputLevel' | 'nameStatus' | 'codeVerificationStatus';
  value: string;
  /** `fail`: sending is stopped or at risk now; `warn`: worth acting on; `info`: good to know. */
  level: 'fail' | 'warn' | 'info';
  advice: string;
}

/** What {@link healthSnapshot} returns. */
export interface HealthSnapshot {
  phoneNumberId: string;
  displayPhoneNumber?: string;
  verifiedName?: string;
  qualityRating?: string;
  /** STANDARD (80 messages/s) or HIGH (1000). */
  throughputLevel?: string;
  /** Portfolio messaging limit, e.g. TIER_2K. */
  messagingLimit?: string;
  nameStatus?: string;
  codeVerificationStatus?: string;
  status?: string;
  canSendMessage?: string;
  /** No advice at `fail` level. */
  ok: boolean;
  /** One entry per value that is not green. */
  advice: HealthAdvice[];
  /** The quality guard's view after this check (when a guard was given). */
  guard?: QualityStatus;
}

type AdviceTable = Record<string, Pick<HealthAdvice, 'level' | 'advice'>>;

const QUALITY_ADVICE: AdviceTable = {
  YELLOW: { level: 'warn', advice: 'Quality is medium: people are blocking or reporting your messages more than usual. Message only people who opted in, honour opt-outs, send fewer marketing templates and make them more relevant.' },
  RED: { level: 'fail', advice: 'Quality is low: the number may be flagged and lose messaging or a messaging-limit level. Stop campaigns, message only people who asked for it, and wait for the rating to recover before sending templates again.' },
  UNKNOWN: { level: 'info', advice: 'Meta has not rated the number yet (new or little traffic): it is rated once people receive your messages.' },
  NA: { level: 'info', advice: 'Meta has not rated the number yet (new or little traffic): it is rated once people receive your messages.' },
};
const STATUS_ADVICE: AdviceTable = {
  FLAGGED: { level: 'fail', advice: 'The number is flagged because its quality is low: improve quality within 7 days or its messaging limit goes down.' },
  RESTRICTED: { level: 'fail', advice: 'The number is restricted for policy reasons and cannot start conversations: check Account Quality in WhatsApp Manager.' },
  DISCONNECTED: { level: 'fail', advice: 'The number is not connected to the Cloud API: register it (set the two-step PIN, then register).' },
  PENDING: { level: 'warn', advice: 'The number is still being set up: wait, then register it if it stays pending.' },
  UNVERIFIED: { level: 'fail', advice: 'The number is not verified: verify it with the code Meta sends (WhatsApp Manager → Phone numbers).' },
  BANNED: { level: 'fail', advice: 'The number is banned: check the notice in WhatsApp Manager and request a review.' },
};
const CAN_SEND_ADVICE: AdviceTable = {
  LIMITED: { level: 'warn', advice: 'Messaging is limited for this number, its WhatsApp account or the app: read the health status in WhatsApp Manager and fix what it names.' },
  BLOCKED: { level: 'fail', advice: 'Messaging is blocked for this number, its WhatsApp account or the app: read the health status in WhatsApp Manager (often payment, verification or registration) and fix it.' },
};
const LIMIT_ADVICE: AdviceTable = {
  TIER_50: { level: 'warn', advice: 'Only 50 people a day can get templates outside the 24-hour window: verify the business and send good-quality templates to raise it.' },
  TIER_250: { level: 'warn', advice: 'Only 250 people a day can get templates outside the 24-hour window: verify the business (or deliver 2,000 templates in 30 days) to reach 2,000.' },
  TIER_NOT_SET: { level: 'info', advice: 'No messaging limit yet: the number has not sent a template.' },
};
const THROUGHPUT_ADVICE: AdviceTable = {
  NOT_APPLICABLE: { level: 'warn', advice: 'No throughput level: the number is not sending through the Cloud API (register it).' },
};
const NAME_ADVICE: AdviceTable = {
  PENDING_REVIEW: { level: 'info', advice: 'The display name is under review: messages may show only the number until Meta approves it.' },
  DECLINED: { level: 'fail', advice: 'The display name was declined: change it to match your business (WhatsApp Manager → Phone numbers → Profile) and resubmit.' },
  EXPIRED: { level: 'warn', advice: 'The display name approval expired: resubmit it in WhatsApp Manager.' },
  NONE: { level: 'warn', advice: 'No display name is set: add one in WhatsApp Manager; some numbers cannot send without an approved name (131037).' },
};
const CODE_ADVICE: AdviceTable = {
  NOT_VERIFIED: { level: 'warn', advice: 'The number was never verified with a code: verify it in WhatsApp Manager before registering.' },
  EXPIRED: { level: 'warn', advice: 'The number\'s code verification expired: verify it again in WhatsApp Manager.' },
};

/**
 * A health check of one number: quality rating, status, whether it can send, throughput level,
 * messaging limit, display-name status and code verification, with plain-words advice for every
 * value that is not green. With a quality guard, the rating and tier are recorded there too (a
 * YELLOW or RED reading slows the attached limiters) and the guard's status is included.
 *
 * @example
 * const health = await healthSnapshot(graph, phoneNumberId);
 * for (const item of health.advice) console.log(`${item.field}: ${item.value} — ${item.advice}`);
 */
export async function healthSnapshot(graph: GraphApi, phoneNumberId: string, options: { qualityGuard?: QualityGuard } = {}): Promise<HealthSnapshot> {
  const phone = await getPhoneNumber(graph, phoneNumberId);
  const advice: HealthAdvice[] = [];
  const add = (field: HealthAdvice['field'], value: string | undefined, table: AdviceTable) => {
    const entry = value === undefined ? undefined : table[value.toUpperCase()];
    if (value !== undefined && entry) advice.push({ field, value, ...entry });
  };
  add('qualityRating', phone.qualityRating, QUALITY_ADVICE);
  add('status', phone.status, STATUS_ADVICE);
  add('canSendMessage', phone.canSendMessage, CAN_SEND_ADVICE);
  add('messagingLimit', phone.messagingLimit, LIMIT_ADVICE);
  add('throughputLevel', phone.throughputLevel, THROUGHPUT_ADVICE);
  add('nameStatus', phone.nameStatus, NAME_ADVICE);
  add('codeVerificationStatus', phone.codeVerificationStatus, CODE_ADVICE);

  const snapshot: HealthSnapshot = {
    phoneNumberId: phone.id || phoneNumberId,
    displayPhoneNumber: phone.displayPhoneNumber,
    verifiedName: phone.verifiedName,
    qualityRating: phone.qualityRating,
    throughputLevel: phone.throughputLevel,
    messagingLimit: phone.messagingLimit,
    nameStatus: phone.nameStatus,
    codeVerificationStatus: phone.codeVerificationStatus,
    status: phone.status,
    canSendMessage: phone.canSendMessage,
    ok: !advice.some((item) => item.level === 'fail'),
    advice,
  };
  for (const key of Object.keys(snapshot) as Array<keyof HealthSnapshot>) if (snapshot[key] === undefined) delete snapshot[key];
  if (options.qualityGuard) {
    await options.qualityGuard.recordHealth({ ...phone, id: phone.id || phoneNumberId });
    snapshot.guard = await options.qualityGuard.status(phone.id || phoneNumberId);
  }
  return snapshot;
}
