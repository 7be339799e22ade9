import { ValidationError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';
import { DEFAULT_BASE_URL } from './version';

/** An app subscribed to a WABA's webhooks. */
export interface SubscribedApp {
  appId: string;
  name?: string;
  link?: string;
  /** Per-WABA alternate callback URL, when one is set. */
  overrideCallbackUri?: string;
}

/** Meta's limit on alternate callback URLs. */
const MAX_CALLBACK_URI = 200;

/**
 * Meta only calls https URLs with a CA-signed certificate; a local Graph emulator (the sandbox)
 * calls plain http too, so the https rule applies when the calls go to Meta's host.
 */
function checkCallback(graph: GraphApi, field: string, uri: unknown, verifyToken: unknown, tokenField: string): void {
  const scheme = graph.baseUrl === DEFAULT_BASE_URL ? /^https:\/\/[^\s/]+/i : /^https?:\/\/[^\s/]+/i;
  if (typeof uri !== 'string' || !scheme.test(uri)) throw new ValidationError(field, 'must be an https:// URL (Meta refuses http and self-signed certificates)');
  if (uri.length > MAX_CALLBACK_URI) throw new ValidationError(field, `${uri.length} characters, the limit is ${MAX_CALLBACK_URI}`);
  if (typeof verifyToken !== 'string' || verifyToken === '') throw new ValidationError(tokenField, 'a verify token is required with a callback URL (Meta verifies the URL with it)');
}

/**
 * Lists the apps subscribed to a WABA's webhooks (and their per-WABA override URL).
 * @example
 * const apps = await listSubscribedApps(graph, wabaId); // [] means no webhooks reach any app
 */
export async function listSubscribedApps(graph: GraphApi, wabaId: string): Promise<SubscribedApp[]> {
  const body = await graph.request<{ data?: Array<Record<string, any>> }>('GET', `${encodeURIComponent(wabaId)}/subscribed_apps`);
  return (body.data ?? []).map((item) => {
    const app = item.whatsapp_business_api_data ?? {};
    return {
      appId: String(app.id ?? ''),
      ...(typeof app.name === 'string' ? { name: app.name } : {}),
      ...(typeof app.link === 'string' ? { link: app.link } : {}),
      ...(typeof item.override_callback_uri === 'string' ? { overrideCallbackUri: item.override_callback_uri } : {}),
    };
  });
}

/**
 * Subscribes the token's app to the WABA's webhooks (without it, a production number's messages
 * never reach the app). With `overrideCallbackUri` + `verifyToken`, the WABA's `messages` webhooks
 * go to that URL instead of the app's; subscribing again without them removes the override.
 * @example
 * await subscribeApp(graph, wabaId, { overrideCallbackUri: 'https://n8n.example/webhook/wa', verifyToken });
 */
export async function subscribeApp(graph: GraphApi, wabaId: string, options: { overrideCallbackUri?: string; verifyToken?: string } = {}): Promise<boolean> {
  let json: Record<string, string> | undefined;
  if (options.overrideCallbackUri !== undefined || options.verifyToken !== undefined) {
    checkCallback(graph, 'overrideCallbackUri', options.overrideCallbackUri, options.verifyToken, 'verifyToken');
    json = { override_callback_uri: options.overrideCallbackUri!, verify_token: options.verifyToken! };
  }
  const body = await graph.request<{ success?: boolean }>('POST', `${encodeURIComponent(wabaId)}/subscribed_apps`, json ? { json } : {});
  return body.success === true;
}

/** The app the connection's own token belongs to (from `debug_token`), or undefined when it cannot be read. */
async function ownAppId(graph: GraphApi): Promise<string | undefined> {
  try {
    const body = await graph.inspectOwnToken<{ data?: { app_id?: unknown } }>();
    const id = body.data?.app_id;
    return id === undefined || id === null || id === '' ? undefined : String(id);
  } catch {
    return undefined;
  }
}

/**
 * Whether the token's app is subscribed to the WABA's webhooks (without it, Meta sends the app no
 * webhook for the WABA, phone number overrides included). When the token's app cannot be read,
 * any subscribed app counts (the safe answer: see {@link ensureAppSubscribed}).
 */
export async function isAppSubscribed(graph: GraphApi, wabaId: string): Promise<boolean> {
  const apps = await listSubscribedApps(graph, wabaId);
  if (apps.length === 0) return false;
  const own = await ownAppId(graph);
  return own === undefined || apps.some((app) => app.appId === own);
}

/**
 * Subscribes the token's app to the WABA's webhooks unless it already is; `true` when it subscribed
 * now. An existing subscription is left alone: subscribing again without a body would remove the
 * app's per-WABA override URL.
 * @example
 * await ensureAppSubscribed(graph, wabaId); // before pointing a number's webhooks at a trigger
 */
export async function ensureAppSubscribed(graph: GraphApi, wabaId: string): Promise<boolean> {
  if (await isAppSubscribed(graph, wabaId)) return false;
  await subscribeApp(graph, wabaId);
  return true;
}

/**
 * Removes the per-WABA callback override, keeping the subscription (Meta: subscribe again
 * without a body).
 */
export async function clearWabaWebhook(graph: GraphApi, wabaId: string): Promise<boolean> {
  return subscribeApp(graph, wabaId);
}

/** Unsubscribes the token's app from the WABA's webhooks: no more webhooks for this app. */
export async function unsubscribeApp(graph: GraphApi, wabaId: string): Promise<boolean> {
  const body = await graph.request<{ success?: boolean }>('DELETE', `${encodeURIComponent(wabaId)}/subscribed_apps`);
  return body.success === true;
}

/**
 * Points one phone number's `messages` webhooks at `callbackUri` (Meta verifies it with a GET
 * carrying `verifyToken` first). Several triggers per Meta app become possible this way.
 * @example
 * await setPhoneNumberWebhook(graph, phoneNumberId, { callbackUri: 'https://n8n.example/webhook/a', verifyToken });
 */
export async function setPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string, options: { callbackUri: string; verifyToken: string }): Promise<boolean> {
  checkCallback(graph, 'callbackUri', options?.callbackUri, options?.verifyToken, 'verifyToken');
  const body = await graph.request<{ success?: boolean }>('POST', encodeURIComponent(phoneNumberId), {
    json: { webhook_configuration: { override_callback_uri: options.callbackUri, verify_token: options.verifyToken } },
  });
  return body.success === true;
}

/** Removes a phone number's callback override (Meta: an empty `override_callback_uri`). */
export async function clearPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string): Promise<boolean> {
  const body = await graph.request<{ success?: boolean }>('POST', encodeURIComponent(phoneNumberId), {
    json: { webhook_configuration: { override_callback_uri: '' } },
  });
  return body.success === true;
}

/** Where a phone number's `messages` webhooks go, from the most to the least specific. */
export interface PhoneNumberWebhook {
  /** The phone number's own override. */
  phoneNumber?: string;
  /** The WABA's override. */
  whatsappBusinessAccount?: string;
  /** The app's callback URL (App Dashboard). */
  application?: string;
}

/** Reads the callback URLs that apply to a phone number. */
export async function getPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string): Promise<PhoneNumberWebhook> {
  const body = await graph.request<{ webhook_configuration?: Record<string, unknown> }>('GET', encodeURIComponent(phoneNumberId), {
    query: { fields: 'webhook_configuration' },
  });
  const config = body.webhook_configuration ?? {};
  const pick = (key: string) => (typeof config[key] === 'string' && config[key] !== '' ? (config[key] as string) : undefined);
  const result: PhoneNumberWebhook = { phoneNumber: pick('phone_number'), whatsappBusinessAccount: pick('whatsapp_business_account'), application: pick('application') };
  for (const key of Object.keys(result) as Array<keyof PhoneNumberWebhook>) if (result[key] === undefined) delete result[key];
  return result;
}
