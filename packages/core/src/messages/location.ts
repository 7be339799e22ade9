import { z } from 'zod/v4';
import { envelopeFields, messageSchema, type OutboundMessageOptions } from './envelope';
import { LIMITS } from './limits';
import { degrees, parseOrThrow, strict, text } from './validate';

/** `location` payload: a pin with an optional name and address. */
export const OutboundLocationSchema = strict({
  /** -90..90; a number, or a string holding one (sent as given). */
  latitude: degrees(LIMITS.latitude),
  /** -180..180; a number, or a string holding one (sent as given). */
  longitude: degrees(LIMITS.longitude),
  name: text().optional(),
  address: text().optional(),
});
/** Inferred type of `OutboundLocationSchema`. */
export type OutboundLocation = z.infer<typeof OutboundLocationSchema>;

/** A whole `type: "location"` message. */
export const OutboundLocationMessageSchema = messageSchema('location', OutboundLocationSchema);
/** Inferred type of `OutboundLocationMessageSchema`. */
export type OutboundLocationMessage = z.infer<typeof OutboundLocationMessageSchema>;

/**
 * A location message, validated.
 * @throws ValidationError e.g. `location.latitude: 91 is out of range, it must be between -90 and 90`
 * @example locationMessage('+14155551234', { latitude: 37.4847, longitude: -122.1486, name: 'Meta HQ' })
 */
export function locationMessage(
  to: string,
  location: { latitude: number; longitude: number; name?: string; address?: string },
  options: OutboundMessageOptions = {},
): OutboundLocationMessage {
  return parseOrThrow(OutboundLocationMessageSchema, { ...envelopeFields(to, options), type: 'location', location });
}
