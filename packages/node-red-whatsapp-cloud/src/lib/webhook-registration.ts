/**
 * The in-node's optional "phone number override" registration, as the n8n trigger does it: the app
 * is subscribed to the WABA when it is not (Meta sends an unsubscribed app no webhook at all), and
 * the number's webhooks are pointed at this node's public callback URL (Meta checks it at once with
 * a GET challenge, which the node's route answers). Removing the node clears the override, but only
 * while it still points here, never another flow's or instance's.
 */
import { clearPhoneNumberWebhook, ensureAppSubscribed, getPhoneNumberWebhook, setPhoneNumberWebhook, ValidationError, type GraphApi } from './core';

export type Registration = 'verifyOnly' | 'phoneNumberOverride';

export function registrationOf(value: unknown): Registration {
  return value === 'phoneNumberOverride' ? 'phoneNumberOverride' : 'verifyOnly';
}

export interface OverrideTarget {
  phoneNumberId: string;
  wabaId?: string;
  /** The public https URL Meta calls (this node's path behind your domain, proxy or tunnel). */
  callbackUrl: string;
  verifyToken: string;
}

export interface RegistrationResult {
  /** The app was subscribed to the WABA just now. */
  subscribed: boolean;
  /** The number's override was (re)pointed here just now (false: it already was). */
  pointed: boolean;
}

/** Checks the settings a registration needs, naming the missing one (before any request). */
export function checkTarget(target: Partial<OverrideTarget>): asserts target is OverrideTarget {
  if (!target.callbackUrl) throw new ValidationError('callbackUrl', 'is required to register the phone number override', 'Enter the public https URL Meta reaches this node at (e.g. https://nodered.example.com/whatsapp).');
  if (!target.verifyToken) throw new ValidationError('verifyToken', 'is required to register a callback URL', 'Set a Verify Token on the config node.');
  if (!target.phoneNumberId) throw new ValidationError('phoneNumberId', 'is required to register the phone number override', 'Set the phone number ID on the config node.');
}

export async function registerOverride(graph: GraphApi, target: OverrideTarget): Promise<RegistrationResult> {
  const subscribed = target.wabaId ? await ensureAppSubscribed(graph, target.wabaId) : false;
  const current = (await getPhoneNumberWebhook(graph, target.phoneNumberId)).phoneNumber;
  if (current === target.callbackUrl) return { subscribed, pointed: false };
  await setPhoneNumberWebhook(graph, target.phoneNumberId, { callbackUri: target.callbackUrl, verifyToken: target.verifyToken });
  return { subscribed, pointed: true };
}

/** Clears the override when it still points at `callbackUrl`; true when it did. */
export async function releaseOverride(graph: GraphApi, target: Pick<OverrideTarget, 'phoneNumberId' | 'callbackUrl'>): Promise<boolean> {
  const current = (await getPhoneNumberWebhook(graph, target.phoneNumberId)).phoneNumber;
  if (current !== target.callbackUrl) return false;
  await clearPhoneNumberWebhook(graph, target.phoneNumberId);
  return true;
}
