import { GraphApiError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';
import { getPhoneNumber, listPhoneNumbers, type PhoneNumberInfo } from './phone-numbers';
import { listSubscribedApps } from './subscriptions';
import { listTemplates } from './templates';

/** The two permissions a WhatsApp token needs (messages; templates, numbers and webhooks). */
export const REQUIRED_SCOPES = ['whatsapp_business_messaging', 'whatsapp_business_management'] as const;

/** What `GET /debug_token` says about a token. */
export interface TokenInfo {
  isValid: boolean;
  appId?: string;
  application?: string;
  /** USER, SYSTEM_USER, APP, PAGE. */
  type?: string;
  /** When the token expires; null when it never does (system user tokens). */
  expiresAt: Date | null;
  dataAccessExpiresAt?: Date;
  scopes: string[];
  /** Per scope, the ids (WABAs, businesses) the token may act on. */
  granularScopes: Array<{ scope: string; targetIds: string[] }>;
  userId?: string;
  /** Meta's reason when the token is not valid. */
  error?: string;
}

function seconds(value: unknown): Date | undefined {
  return typeof value === 'number' && value > 0 ? new Date(value * 1000) : undefined;
}

/**
 * Inspects a token with `GET /debug_token`: validity, expiry, scopes and the WABAs it may manage.
 * Without `inputToken`, inspects the graph's own token. The token travels in the query, so error
 * messages are scrubbed of it.
 * @example
 * const info = await debugToken(graph); // info.scopes.includes('whatsapp_business_messaging')
 */
export async function debugToken(graph: GraphApi, inputToken?: string): Promise<TokenInfo> {
  // The transport never names a query string in errors, so the token in input_token stays out of them.
  const body: { data?: Record<string, any> } = inputToken
    ? await graph.request('GET', 'debug_token', { query: { input_token: inputToken } })
    : await graph.inspectOwnToken();
  const data = body.data ?? {};
  const info: TokenInfo = {
    isValid: data.is_valid === true,
    expiresAt: data.expires_at === 0 ? null : seconds(data.expires_at) ?? null,
    scopes: Array.isArray(data.scopes) ? data.scopes.map(String) : [],
    granularScopes: Array.isArray(data.granular_scopes)
      ? data.granular_scopes.map((g: any) => ({ scope: String(g?.scope ?? ''), targetIds: Array.isArray(g?.target_ids) ? g.target_ids.map(String) : [] }))
      : [],
  };
  if (data.app_id !== undefined) info.appId = String(data.app_id);
  if (typeof data.application === 'string') info.application = data.application;
  if (typeof data.type === 'string') info.type = data.type;
  const dataAccess = seconds(data.data_access_expires_at);
  if (dataAccess) info.dataAccessExpiresAt = dataAccess;
  if (data.user_id !== undefined) info.userId = String(data.user_id);
  if (typeof data.error?.message === 'string') info.error = data.error.message;
  return info;
}

/** The result of one diagnostic check. */
export interface DiagnosticCheck {
  id: 'token' | 'scopes' | 'ids' | 'registration' | 'quality' | 'subscription' | 'templates';
  title: string;
  /** `unknown`: the check could not run (an earlier failure, or Meta did not answer). */
  status: 'pass' | 'fail' | 'warn' | 'unknown';
  /** What was seen, in plain words. */
  seen: string;
  /** What to do, in plain words (on fail and warn). */
  fix?: string;
}

export interface DiagnoseReport {
  /** No check failed. */
  ok: boolean;
  checks: DiagnosticCheck[];
}

export interface DiagnoseInput {
  graph: GraphApi;
  phoneNumberId: string;
  /** Found through the token's granted WABAs when not given. */
  wabaId?: string;
  /** Token to inspect. @default the graph's token */
  accessToken?: string;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** A token expiring sooner than this is a warning: the workflow stops when it does. */
const EXPIRY_WARNING_MS = 7 * 24 * 60 * 60 * 1000;

function explain(error: unknown): string {
  if (error instanceof GraphApiError) return `Meta answered error ${error.graphCode ?? error.status}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

const isAuthError = (error: unknown) => error instanceof GraphApiError && error.category === 'auth';

async function probe<T>(call: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error };
  }
}

function tokenCheck(token: TokenInfo | undefined, error: unknown, now: number): DiagnosticCheck {
  const title = 'Access token is valid and not about to expire';
  if (!token) {
    if (isAuthError(error)) return { id: 'token', title, status: 'fail', seen: explain(error), fix: 'Create a permanent System User token (Business Settings → System users → Generate token) and paste it into the credentials.' };
    return { id: 'token', title, status: 'unknown', seen: `Could not inspect the token: ${explain(error)}` };
  }
  if (!token.isValid) return { id: 'token', title, status: 'fail', seen: `The token is not valid${token.error ? `: ${token.error}` : ''}.`, fix: 'Create a new System User token and update the credentials.' };
  if (token.expiresAt === null) return { id: 'token', title, status: 'pass', seen: `Valid, never expires${token.type ? ` (${token.type})` : ''}.` };
  const left = token.expiresAt.getTime() - now;
  if (left <= 0) return { id: 'token', title, status: 'fail', seen: `Expired on ${token.expiresAt.toISOString()}.`, fix: 'Create a permanent System User token and update the credentials.' };
  if (left < EXPIRY_WARNING_MS) {
    return { id: 'token', title, status: 'warn', seen: `Valid, but expires on ${token.expiresAt.toISOString()}.`, fix: 'Temporary tokens stop working within a day: use a permanent System User token instead.' };
  }
  return { id: 'token', title, status: 'pass', seen: `Valid until ${token.expiresAt.toISOString()}.` };
}

function scopesCheck(token: TokenInfo | undefined): DiagnosticCheck {
  const title = 'Token has whatsapp_business_messaging and whatsapp_business_management';
  if (!token?.isValid) return { id: 'scopes', title, status: 'unknown', seen: 'Skipped: the token could not be inspected.' };
  const missing = REQUIRED_SCOPES.filter((scope) => !token.scopes.includes(scope));
  if (missing.length === 0) return { id: 'scopes', title, status: 'pass', seen: `Scopes: ${token.scopes.join(', ')}.` };
  return { id: 'scopes', title, status: 'fail', seen: `Missing: ${missing.join(', ')} (has: ${token.scopes.join(', ') || 'none'}).`, fix: `Generate the System User token again with ${missing.join(' and ')} ticked, and assign the WhatsApp account to the System User.` };
}

/** True when `id` answers like a WABA (it has phone numbers). */
async function looksLikeWaba(graph: GraphApi, id: string): Promise<boolean> {
  return (await probe(() => graph.request('GET', `${encodeURIComponent(id)}/phone_numbers`, { query: { limit: 1 } }))).value !== undefined;
}

interface IdsOutcome {
  check: DiagnosticCheck;
  phone?: PhoneNumberInfo;
  wabaId?: string;
}

async function idsCheck(input: DiagnoseInput, token: TokenInfo | undefined): Promise<IdsOutcome> {
  const { graph, phoneNumberId } = input;
  const title = 'Phone number ID and WABA ID are the right ones';
  const phone = await probe(() => getPhoneNumber(graph, phoneNumberId));
  if (phone.error) {
    if (isAuthError(phone.error)) return { check: { id: 'ids', title, status: 'unknown', seen: `Skipped: ${explain(phone.error)}` } };
    if (await looksLikeWaba(graph, phoneNumberId)) {
      return { check: { id: 'ids', title, status: 'fail', seen: `${phoneNumberId} is a WhatsApp Business Account ID, not a phone number ID.`, fix: 'Copy the "Phone number ID" (not the "WhatsApp Business Account ID") from WhatsApp Manager → API Setup into the credentials.' } };
    }
    return { check: { id: 'ids', title, status: 'fail', seen: `Phone number ID ${phoneNumberId} could not be read: ${explain(phone.error)}`, fix: 'Copy the Phone number ID again from WhatsApp Manager → API Setup, and check the token can access that WhatsApp account.' } };
  }
  let wabaId = input.wabaId;
  if (wabaId === phoneNumberId) {
    return { phone: phone.value, check: { id: 'ids', title, status: 'fail', seen: 'The WABA ID and the phone number ID are the same value.', fix: 'Put the WhatsApp Business Account ID (WhatsApp Manager → API Setup) in the WABA field.' } };
  }
  const candidates = wabaId ? [wabaId] : [...new Set(token?.granularScopes.filter((g) => g.scope === 'whatsapp_business_management').flatMap((g) => g.targetIds) ?? [])];
  for (const candidate of candidates) {
    const numbers = await probe(() => listPhoneNumbers(graph, candidate));
    if (numbers.value?.some((n) => n.id === phoneNumberId)) {
      const how = wabaId ? '' : ' (found through the token\'s permissions)';
      return { phone: phone.value, wabaId: candidate, check: { id: 'ids', title, status: 'pass', seen: `Phone number ${phone.value!.displayPhoneNumber ?? phoneNumberId} belongs to WABA ${candidate}${how}.` } };
    }
    if (wabaId && numbers.error) {
      const isPhone = (await probe(() => getPhoneNumber(graph, wabaId!))).value !== undefined;
      const seen = isPhone ? `${wabaId} is a phone number ID, not a WABA ID.` : `WABA ${wabaId} could not be read: ${explain(numbers.error)}`;
      return { phone: phone.value, check: { id: 'ids', title, status: 'fail', seen, fix: 'Copy the "WhatsApp Business Account ID" from WhatsApp Manager → API Setup into the WABA field.' } };
    }
    if (wabaId) {
      return { phone: phone.value, check: { id: 'ids', title, status: 'fail', seen: `Phone number ${phoneNumberId} is not one of WABA ${wabaId}'s numbers (${numbers.value!.map((n) => n.id).join(', ') || 'none'}).`, fix: 'Use the phone number ID and the WABA ID shown together in WhatsApp Manager → API Setup.' } };
    }
  }
  return { phone: phone.value, check: { id: 'ids', title, status: wabaId ? 'fail' : 'unknown', seen: `Phone number ${phone.value!.displayPhoneNumber ?? phoneNumberId} found; its WABA is unknown (give the WABA ID to check the rest).` } };
}

function registrationCheck(phone: PhoneNumberInfo | undefined): DiagnosticCheck {
  const title = 'Phone number is registered and verified';
  if (!phone) return { id: 'registration', title, status: 'unknown', seen: 'Skipped: the phone number could not be read.' };
  const seen = `Status ${phone.status ?? 'unknown'}, code verification ${phone.codeVerificationStatus ?? 'unknown'}, platform ${phone.platformType ?? 'unknown'}, name ${phone.nameStatus ?? 'unknown'}.`;
  if (phone.platformType && phone.platformType !== 'CLOUD_API') {
    return { id: 'registration', title, status: 'fail', seen, fix: 'This number is not on the Cloud API: register it for the Cloud API (POST /{phone-number-id}/register with a 6-digit PIN).' };
  }
  if (phone.status && phone.status !== 'CONNECTED') {
    return { id: 'registration', title, status: 'fail', seen, fix: 'Register the number (POST /{phone-number-id}/register with its two-step PIN) and finish verification in WhatsApp Manager → Phone numbers.' };
  }
  if (phone.codeVerificationStatus && phone.codeVerificationStatus !== 'VERIFIED') {
    return { id: 'registration', title, status: 'warn', seen, fix: 'Verify the number with the SMS or voice code in WhatsApp Manager (test numbers can skip this).' };
  }
  if (phone.nameStatus === 'DECLINED' || phone.nameStatus === 'EXPIRED') {
    return { id: 'registration', title, status: 'warn', seen, fix: 'The display name was declined: request a new one in WhatsApp Manager → Phone numbers.' };
  }
  return { id: 'registration', title, status: 'pass', seen };
}

function qualityCheck(phone: PhoneNumberInfo | undefined): DiagnosticCheck {
  const title = 'Quality rating and sending health';
  if (!phone) return { id: 'quality', title, status: 'unknown', seen: 'Skipped: the phone number could not be read.' };
  const seen = `Quality ${phone.qualityRating ?? 'unknown'}, can send: ${phone.canSendMessage ?? 'unknown'}, messaging limit ${phone.messagingLimit ?? 'unknown'}, throughput ${phone.throughputLevel ?? 'unknown'}.`;
  if (phone.canSendMessage === 'BLOCKED' || phone.qualityRating === 'RED') {
    return { id: 'quality', title, status: 'fail', seen, fix: 'Sending is blocked or quality is low: check Account Quality in WhatsApp Manager, message only people who opted in, and slow down.' };
  }
  if (phone.canSendMessage === 'LIMITED' || phone.qualityRating === 'YELLOW') {
    return { id: 'quality', title, status: 'warn', seen, fix: 'Quality is dropping: review recent templates and opt-ins before the number gets limited.' };
  }
  return { id: 'quality', title, status: 'pass', seen };
}

async function subscriptionCheck(graph: GraphApi, wabaId: string | undefined, token: TokenInfo | undefined): Promise<DiagnosticCheck> {
  const title = 'The app is subscribed to the WABA\'s webhooks';
  if (!wabaId) return { id: 'subscription', title, status: 'unknown', seen: 'Skipped: the WABA ID is not known.' };
  const apps = await probe(() => listSubscribedApps(graph, wabaId));
  if (apps.error) return { id: 'subscription', title, status: 'unknown', seen: `Could not list subscribed apps: ${explain(apps.error)}` };
  const list = apps.value!;
  const fix =
    'Subscribe the app to the WABA (POST /{waba-id}/subscribed_apps). The n8n trigger and the Node-RED webhook node do it when they register their URL (Registration: phone number override, with the WABA ID in the credentials); with "verify only", do it yourself. Without it, no webhooks arrive for this account.';
  if (list.length === 0) return { id: 'subscription', title, status: 'fail', seen: 'No app is subscribed to this WABA.', fix };
  const names = list.map((a) => a.name ?? a.appId).join(', ');
  if (token?.appId && !list.some((a) => a.appId === token.appId)) {
    return { id: 'subscription', title, status: 'fail', seen: `Subscribed: ${names}; the token's app (${token.application ?? token.appId}) is not.`, fix };
  }
  return { id: 'subscription', title, status: 'pass', seen: `Subscribed: ${names}.` };
}

async function templatesCheck(graph: GraphApi, wabaId: string | undefined): Promise<DiagnosticCheck> {
  const title = 'At least one approved template';
  if (!wabaId) return { id: 'templates', title, status: 'unknown', seen: 'Skipped: the WABA ID is not known.' };
  const templates = await probe(() => listTemplates(graph, wabaId, { status: 'APPROVED', limit: 1, maxPages: 1, fields: 'id,name,status,language' }));
  if (templates.error) return { id: 'templates', title, status: 'unknown', seen: `Could not list templates: ${explain(templates.error)}` };
  if (templates.value!.length > 0) return { id: 'templates', title, status: 'pass', seen: `Approved template found (e.g. ${templates.value![0]!.name}).` };
  return { id: 'templates', title, status: 'warn', seen: 'No approved template.', fix: 'Create a template in WhatsApp Manager and wait for approval: without one you can only reply within 24 hours of a user\'s message.' };
}

/**
 * Runs the quick debug checklist in order and returns what it saw: token valid and not expiring,
 * scopes, phone number ID vs WABA ID mix-up, registration and verification, quality rating, app
 * subscribed to the WABA, at least one approved template. Never throws for a failed check: each
 * check reports pass / fail / warn / unknown with a fix in plain words.
 * @example
 * const report = await diagnose({ graph, phoneNumberId, wabaId });
 * for (const check of report.checks) console.log(check.status, check.title, check.seen, check.fix ?? '');
 */
export async function diagnose(input: DiagnoseInput): Promise<DiagnoseReport> {
  const now = (input.now ?? Date.now)();
  const token = await probe(() => debugToken(input.graph, input.accessToken));
  const checks: DiagnosticCheck[] = [tokenCheck(token.value, token.error, now), scopesCheck(token.value)];
  const tokenFailed = checks[0]!.status === 'fail';
  if (tokenFailed) {
    for (const [id, title] of [
      ['ids', 'Phone number ID and WABA ID are the right ones'],
      ['registration', 'Phone number is registered and verified'],
      ['quality', 'Quality rating and sending health'],
      ['subscription', 'The app is subscribed to the WABA\'s webhooks'],
      ['templates', 'At least one approved template'],
    ] as const) {
      checks.push({ id, title, status: 'unknown', seen: 'Skipped: the access token is not valid.' });
    }
    return { ok: false, checks };
  }
  const ids = await idsCheck(input, token.value);
  checks.push(ids.check, registrationCheck(ids.phone), qualityCheck(ids.phone));
  const wabaId = ids.wabaId ?? (ids.check.status === 'fail' ? undefined : input.wabaId);
  checks.push(await subscriptionCheck(input.graph, wabaId, token.value), await templatesCheck(input.graph, wabaId));
  return { ok: checks.every((check) => check.status !== 'fail'), checks };
}
