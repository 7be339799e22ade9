import { GraphApiError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';

/** Fields asked for a phone number: everything a health check or a picker needs. */
export const PHONE_NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'status',
  'code_verification_status',
  'name_status',
  'throughput',
  'platform_type',
  'account_mode',
  'messaging_limit_tier',
  'whatsapp_business_manager_messaging_limit',
  'is_official_business_account',
  'health_status',
].join(',');

/** Fields every Graph version has; asked again when a newer field is refused (error 100). */
const BASIC_FIELDS = 'id,display_phone_number,verified_name,quality_rating,status,code_verification_status,name_status,throughput,platform_type,account_mode,messaging_limit_tier';

/** A business phone number as the health checks read it. */
export interface PhoneNumberInfo {
  /** Phone number ID (what sends use). */
  id: string;
  displayPhoneNumber?: string;
  verifiedName?: string;
  /** GREEN, YELLOW, RED, UNKNOWN/NA. */
  qualityRating?: string;
  /** CONNECTED, DISCONNECTED, FLAGGED, RESTRICTED, PENDING, … */
  status?: string;
  /** VERIFIED, NOT_VERIFIED, EXPIRED. */
  codeVerificationStatus?: string;
  /** APPROVED, AVAILABLE_WITHOUT_REVIEW, DECLINED, EXPIRED, PENDING_REVIEW, NONE. */
  nameStatus?: string;
  /** STANDARD (80 mps), HIGH (1000 mps), NOT_APPLICABLE. */
  throughputLevel?: string;
  /** CLOUD_API for Cloud API numbers. */
  platformType?: string;
  /** LIVE or SANDBOX. */
  accountMode?: string;
  /** Portfolio messaging limit (TIER_250 … TIER_UNLIMITED); the newer field when Meta sends it. */
  messagingLimit?: string;
  isOfficialBusinessAccount?: boolean;
  /** AVAILABLE, LIMITED, BLOCKED (`health_status.can_send_message`). */
  canSendMessage?: string;
  /** Everything Meta returned. */
  raw: Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Meta's snake_case answer as {@link PhoneNumberInfo}. */
export function toPhoneNumberInfo(raw: Record<string, unknown>): PhoneNumberInfo {
  const info: PhoneNumberInfo = {
    id: String(raw.id ?? ''),
    displayPhoneNumber: text(raw.display_phone_number),
    verifiedName: text(raw.verified_name),
    qualityRating: text(raw.quality_rating),
    status: text(raw.status),
    codeVerificationStatus: text(raw.code_verification_status),
    nameStatus: text(raw.name_status),
    throughputLevel: text((raw.throughput as { level?: unknown } | undefined)?.level),
    platformType: text(raw.platform_type),
    accountMode: text(raw.account_mode),
    messagingLimit: text(raw.whatsapp_business_manager_messaging_limit) ?? text(raw.messaging_limit_tier),
    isOfficialBusinessAccount: typeof raw.is_official_business_account === 'boolean' ? raw.is_official_business_account : undefined,
    canSendMessage: text((raw.health_status as { can_send_message?: unknown } | undefined)?.can_send_message),
    raw,
  };
  for (const key of Object.keys(info) as Array<keyof PhoneNumberInfo>) if (info[key] === undefined) delete info[key];
  return info;
}

function isUnknownField(error: unknown): boolean {
  return error instanceof GraphApiError && error.graphCode === 100 && /field/i.test(`${error.message} ${error.details ?? ''}`);
}

/**
 * Reads a business phone number: status, quality rating, throughput level, name status, code
 * verification, messaging limit, health. Retries with basic fields when an older Graph version
 * does not know a newer one.
 * @example
 * const phone = await getPhoneNumber(graph, phoneNumberId); // phone.qualityRating === 'GREEN'
 */
export async function getPhoneNumber(graph: GraphApi, phoneNumberId: string): Promise<PhoneNumberInfo> {
  const path = encodeURIComponent(phoneNumberId);
  try {
    return toPhoneNumberInfo(await graph.request<Record<string, unknown>>('GET', path, { query: { fields: PHONE_NUMBER_FIELDS } }));
  } catch (error) {
    if (!isUnknownField(error)) throw error;
    return toPhoneNumberInfo(await graph.request<Record<string, unknown>>('GET', path, { query: { fields: BASIC_FIELDS } }));
  }
}

/**
 * Lists the phone numbers of a WhatsApp Business Account (every page).
 * @example
 * const numbers = await listPhoneNumbers(graph, wabaId);
 */
export async function listPhoneNumbers(graph: GraphApi, wabaId: string, options: { maxPages?: number } = {}): Promise<PhoneNumberInfo[]> {
  const numbers: PhoneNumberInfo[] = [];
  let after: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 20); page++) {
    const body = await graph.request<{ data?: Array<Record<string, unknown>>; paging?: { cursors?: { after?: string }; next?: string } }>(
      'GET',
      `${encodeURIComponent(wabaId)}/phone_numbers`,
      { query: { fields: BASIC_FIELDS, limit: 100, after } },
    );
    numbers.push(...(body.data ?? []).map(toPhoneNumberInfo));
    after = body.paging?.cursors?.after;
    if (!body.paging?.next || !after) break;
  }
  return numbers;
}
