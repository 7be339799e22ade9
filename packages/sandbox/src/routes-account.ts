/**
 * Phone-number, WABA and token endpoints: phone number fields, registration and two-step PIN, the
 * per-number and per-WABA webhook overrides (verified with a GET challenge first, as Meta does),
 * subscribed_apps, business profile, blocked users and `debug_token`.
 */
import { fieldsOf, params, type Ctx, type RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, invalidParam, missingParam } from './errors';
import type { Json, JsonObject } from './types';
import { normaliseRecipient } from './validate';
import { groupStateOf } from './groups';

const HOUR = 3_600_000;

/** `+1 555-000-1234` style for NANP numbers, `+<digits>` otherwise (display only). */
function displayNumber(digits: string): string {
  const m = /^1(\d{3})(\d{3})(\d{4})$/.exec(digits);
  return m ? `+1 ${m[1]}-${m[2]}-${m[3]}` : `+${digits}`;
}

/** The phone number object with every field the sandbox knows. */
function phoneObject(e: Engine): JsonObject {
  const webhook: JsonObject = {};
  if (e.o.webhookUrl) webhook.application = e.o.webhookUrl;
  if (e.account.wabaOverride) webhook.whatsapp_business_account = e.account.wabaOverride;
  if (e.account.phoneOverride) webhook.phone_number = e.account.phoneOverride;
  return {
    verified_name: e.o.verifiedName,
    code_verification_status: 'VERIFIED',
    display_phone_number: displayNumber(e.o.displayPhoneNumber),
    quality_rating: e.account.qualityRating,
    platform_type: e.account.registered ? 'CLOUD_API' : 'NOT_APPLICABLE',
    throughput: { level: e.o.throughput > 80 ? 'HIGH' : 'STANDARD' },
    // A number whose quality reached RED is FLAGGED (api-facts §4 status values).
    status: !e.account.registered ? 'DISCONNECTED' : e.account.qualityRating === 'RED' ? 'FLAGGED' : 'CONNECTED',
    name_status: 'APPROVED',
    account_mode: 'LIVE',
    is_official_business_account: groupStateOf(e).officialBusinessAccount,
    is_pin_enabled: e.account.pin !== undefined,
    health_status: {
      can_send_message: e.account.registered ? 'AVAILABLE' : 'BLOCKED',
      entities: [
        { entity_type: 'PHONE_NUMBER', id: e.o.phoneNumberId, can_send_message: e.account.registered ? 'AVAILABLE' : 'BLOCKED' },
        { entity_type: 'WABA', id: e.o.wabaId, can_send_message: 'AVAILABLE' },
        { entity_type: 'APP', id: e.o.appId, can_send_message: 'AVAILABLE' },
      ],
    },
    whatsapp_business_manager_messaging_limit: e.account.messagingLimitTier,
    messaging_limit_tier: e.account.messagingLimitTier,
    webhook_configuration: webhook,
    id: e.o.phoneNumberId,
  };
}

/** Graph's default selection when no `fields` is given. */
const PHONE_DEFAULT_FIELDS = ['verified_name', 'code_verification_status', 'display_phone_number', 'quality_rating', 'platform_type', 'throughput', 'id'];

function project(obj: JsonObject, fields: string[], nodeType: string): JsonObject {
  const out: JsonObject = {};
  for (const f of fields) {
    if (!(f in obj)) throw new GraphError(100, undefined, { message: `(#100) Tried accessing nonexisting field (${f}) on node type (${nodeType})` });
    out[f] = obj[f];
  }
  out.id = obj.id;
  return out;
}

/** `GET /{phone}?fields=…`. */
export function getPhone(ctx: Ctx): RouteResult {
  return project(phoneObject(ctx.engine), fieldsOf(ctx) ?? PHONE_DEFAULT_FIELDS, 'WhatsAppBusinessPhoneNumber');
}

/** `GET /{WABA}/phone_numbers`. */
export function listPhones(ctx: Ctx): RouteResult {
  const obj = project(phoneObject(ctx.engine), fieldsOf(ctx) ?? PHONE_DEFAULT_FIELDS, 'WhatsAppBusinessPhoneNumber');
  const cursor = Buffer.from(`sandbox-phone:${ctx.engine.o.phoneNumberId}`).toString('base64');
  return { data: [obj], paging: { cursors: { before: cursor, after: cursor } } };
}

/** `GET /{WABA}`. */
export function getWaba(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const obj: JsonObject = {
    id: e.o.wabaId,
    name: `${e.o.verifiedName} WABA`,
    timezone_id: '1',
    message_template_namespace: 'sandbox_namespace',
    currency: 'USD',
    account_review_status: 'APPROVED',
    business_verification_status: 'verified',
    ownership_type: 'SELF',
  };
  const f = fieldsOf(ctx);
  return f ? project(obj, f, 'WhatsAppBusinessAccount') : { id: obj.id, name: obj.name, timezone_id: obj.timezone_id, message_template_namespace: obj.message_template_namespace };
}

/** Verifies an override callback like Meta and throws its 2200 error when the URL does not answer the challenge. */
async function verifyOverride(e: Engine, uri: string, token: Json | undefined): Promise<void> {
  if (!/^https?:\/\//.test(uri)) throw invalidParam('Param override_callback_uri must be an http(s) URL');
  if (typeof token !== 'string' || !token) throw missingParam('verify_token');
  const r = await e.verifyCallback(uri, token);
  if (!r.ok) {
    const details = `Callback verification failed with the following errors: HTTP Status Code = ${r.status || 'none'}; HTTP Message = ${r.status === 200 ? 'challenge not echoed' : 'error'}`;
    throw new GraphError(2200, details, { message: `(#2200) ${details}` });
  }
}

/** `POST /{phone}`: two-step PIN and/or `webhook_configuration` override. */
export async function updatePhone(ctx: Ctx): Promise<RouteResult> {
  const e = ctx.engine;
  const p = params(ctx);
  let handled = false;
  if (p.pin !== undefined) {
    if (typeof p.pin !== 'string' || !/^\d{6}$/.test(p.pin)) throw invalidParam('Param pin must be a 6-digit string');
    e.account.pin = p.pin;
    handled = true;
  }
  if (p.webhook_configuration !== undefined) {
    const wc = p.webhook_configuration;
    if (typeof wc !== 'object' || wc === null || Array.isArray(wc)) throw invalidParam('Param webhook_configuration must be an object');
    const uri = wc.override_callback_uri;
    if (uri === undefined || uri === '' || uri === null) {
      e.account.phoneOverride = undefined; // an empty override clears it
    } else {
      if (typeof uri !== 'string') throw invalidParam('Param webhook_configuration[override_callback_uri] must be a string');
      await verifyOverride(e, uri, wc.verify_token);
      e.account.phoneOverride = uri;
    }
    handled = true;
  }
  if (!handled) throw invalidParam('No supported field to update: send pin or webhook_configuration');
  return { success: true };
}

/** Register/deregister share Meta's limit of 10 calls per number per 72 h (133016). */
function countRegistrationCall(e: Engine): void {
  const since = e.o.now() - 72 * HOUR;
  const recent = e.account.registrationCalls.filter((t) => t > since);
  if (recent.length >= 10) throw new GraphError(133016, 'Register/deregister limit of 10 requests per 72 hours reached for this number.');
  recent.push(e.o.now());
  e.account.registrationCalls = recent;
}

/** `POST /{phone}/register {messaging_product, pin}`. */
export function register(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const p = params(ctx);
  if (p.messaging_product === undefined) throw missingParam('messaging_product');
  if (p.messaging_product !== 'whatsapp') throw invalidParam("Param messaging_product must be 'whatsapp'");
  if (p.pin === undefined) throw missingParam('pin');
  if (typeof p.pin !== 'string' || !/^\d{6}$/.test(p.pin)) throw invalidParam('Param pin must be a 6-digit string');
  countRegistrationCall(e);
  if (e.account.pin !== undefined && e.account.pin !== p.pin) throw new GraphError(133005, 'The PIN does not match the two-step verification PIN of this number.');
  e.account.pin = p.pin; // registering sets the two-step PIN when none was set
  e.account.registered = true;
  return { success: true };
}

/** `POST /{phone}/deregister`. */
export function deregister(ctx: Ctx): RouteResult {
  countRegistrationCall(ctx.engine);
  ctx.engine.account.registered = false;
  return { success: true };
}

const VERTICALS = [
  'OTHER', 'AUTO', 'BEAUTY', 'APPAREL', 'EDU', 'ENTERTAIN', 'EVENT_PLAN', 'FINANCE', 'GROCERY', 'GOVT', 'HOTEL', 'HEALTH',
  'NONPROFIT', 'PROF_SERVICES', 'RETAIL', 'TRAVEL', 'RESTAURANT', 'ALCOHOL', 'ONLINE_GAMBLING', 'PHYSICAL_GAMBLING', 'OTC_DRUGS',
];

/** `GET /{phone}/whatsapp_business_profile?fields=…`. */
export function getProfile(ctx: Ctx): RouteResult {
  const prof = ctx.engine.account.profile;
  const fields = fieldsOf(ctx);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(prof)) if (!fields || fields.includes(k)) out[k] = v;
  out.messaging_product = 'whatsapp';
  return { data: [out] };
}

/** `POST /{phone}/whatsapp_business_profile` with api-facts §4 limits. */
export function updateProfile(ctx: Ctx): RouteResult {
  const p = params(ctx);
  if (p.messaging_product !== 'whatsapp') throw missingParam('messaging_product');
  const limits: Record<string, number> = { about: 139, address: 256, description: 256, email: 128 };
  const update: JsonObject = {};
  for (const [k, max] of Object.entries(limits)) {
    if (p[k] === undefined) continue;
    const v = p[k];
    if (typeof v !== 'string' || v.length > max || (k === 'about' && v.length === 0)) {
      throw invalidParam(`Param ${k} must be a string of ${k === 'about' ? 1 : 0} to ${max} characters`);
    }
    update[k] = v;
  }
  if (p.websites !== undefined) {
    const w = p.websites;
    if (!Array.isArray(w) || w.length > 2 || w.some((x) => typeof x !== 'string' || x.length > 256 || !/^https?:\/\//.test(x))) {
      throw invalidParam('Param websites must be at most 2 http(s) URLs of at most 256 characters');
    }
    update.websites = w;
  }
  if (p.vertical !== undefined) {
    if (typeof p.vertical !== 'string' || !VERTICALS.includes(p.vertical)) throw invalidParam(`Param vertical must be one of {${VERTICALS.join(', ')}}`);
    update.vertical = p.vertical;
  }
  if (p.profile_picture_handle !== undefined) update.profile_picture_url = `${ctx.engine.baseUrl}/_sandbox/profile-picture`;
  Object.assign(ctx.engine.account.profile, update);
  return { success: true };
}

function usersOf(p: JsonObject): Array<{ input: string; waId: string }> {
  if (p.messaging_product !== 'whatsapp') throw missingParam('messaging_product');
  const list = p.block_users;
  if (!Array.isArray(list) || list.length === 0) throw missingParam('block_users');
  return list.map((u, n) => {
    const user = typeof u === 'object' && u !== null && !Array.isArray(u) ? u.user : undefined;
    const r = typeof user === 'string' ? normaliseRecipient(user) : undefined;
    if (!r || typeof user !== 'string') throw invalidParam(`Param block_users[${n}][user] must be a phone number`);
    return { input: user, waId: r.waId };
  });
}

/** `POST /{phone}/block_users`: only users who messaged in the last 24 h can be blocked (139100 otherwise). */
export function blockUsers(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const users = usersOf(params(ctx));
  const failed = users.filter((u) => !e.window.isOpen(u.waId));
  if (failed.length) {
    throw new GraphError(139100, `Failed to block users: ${failed.map((u) => u.input).join(', ')} did not message this business in the last 24 hours.`);
  }
  for (const u of users) e.account.blocked.add(u.waId);
  e.version++;
  return { messaging_product: 'whatsapp', block_users: { added_users: users.map((u) => ({ input: u.input, wa_id: u.waId })) } };
}

/** `DELETE /{phone}/block_users`. */
export function unblockUsers(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const users = usersOf(params(ctx));
  for (const u of users) e.account.blocked.delete(u.waId);
  e.version++;
  return { messaging_product: 'whatsapp', block_users: { removed_users: users.map((u) => ({ input: u.input, wa_id: u.waId })) } };
}

/** `GET /{phone}/block_users`. */
export function listBlocked(ctx: Ctx): RouteResult {
  const data = [...ctx.engine.account.blocked].map((w) => ({ messaging_product: 'whatsapp', wa_id: w }));
  return { data, paging: { cursors: { before: '', after: '' } } };
}

/** `GET /{WABA}/subscribed_apps`. */
export function listSubscribedApps(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  if (!e.account.wabaSubscribed) return { data: [] };
  const app: JsonObject = {
    whatsapp_business_api_data: { id: e.o.appId, link: `https://www.facebook.com/games/?app_id=${e.o.appId}`, name: 'WA Cloud Sandbox App' },
  };
  if (e.account.wabaOverride) app.override_callback_uri = e.account.wabaOverride;
  return { data: [app] };
}

/** `POST /{WABA}/subscribed_apps` (optionally with `override_callback_uri` + `verify_token`). */
export async function subscribeApp(ctx: Ctx): Promise<RouteResult> {
  const e = ctx.engine;
  const p = params(ctx);
  const uri = p.override_callback_uri;
  if (typeof uri === 'string' && uri) {
    await verifyOverride(e, uri, p.verify_token);
    e.account.wabaOverride = uri;
  } else if (uri !== undefined) {
    e.account.wabaOverride = undefined;
  }
  e.account.wabaSubscribed = true;
  return { success: true };
}

/** `DELETE /{WABA}/subscribed_apps`. */
export function unsubscribeApp(ctx: Ctx): RouteResult {
  ctx.engine.account.wabaSubscribed = false;
  ctx.engine.account.wabaOverride = undefined;
  return { success: true };
}

/** `GET /debug_token?input_token=…`. */
export function debugToken(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const input = ctx.query.input_token;
  if (!input) throw missingParam('input_token');
  const valid = input === e.o.accessToken;
  const scopes = ['whatsapp_business_management', 'whatsapp_business_messaging', 'business_management'];
  const data: JsonObject = {
    app_id: e.o.appId,
    type: 'SYSTEM_USER',
    application: 'WA Cloud Sandbox App',
    data_access_expires_at: 0,
    expires_at: 0, // system-user tokens do not expire
    is_valid: valid,
    scopes: valid ? scopes : [],
    granular_scopes: valid
      ? [
          { scope: 'whatsapp_business_management', target_ids: [e.o.wabaId] },
          { scope: 'whatsapp_business_messaging', target_ids: [e.o.wabaId] },
          { scope: 'business_management' },
        ]
      : [],
    user_id: '400000000000001',
  };
  if (!valid) data.error = { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' };
  return { data };
}
