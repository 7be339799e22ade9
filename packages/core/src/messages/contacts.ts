import { z } from 'zod/v4';
import { envelopeFields, messageSchema, type OutboundMessageOptions } from './envelope';
import { LIMITS } from './limits';
import { httpsUrlProblem, list, parseOrThrow, strict, text } from './validate';

// Field sets follow Meta's contact object (OpenAPI `ContactObject`); only `name.formatted_name` and
// each entry's main value are required. `type` labels are free text: the OpenAPI lists HOME/WORK, but
// the contacts-message docs use "Mobile", "Landline", "Office", "Work (old)".
const Label = text();

const NameSchema = strict({
  /** The name shown on the card; required by Meta. */
  formatted_name: text(),
  first_name: text().optional(),
  last_name: text().optional(),
  middle_name: text().optional(),
  suffix: text().optional(),
  prefix: text().optional(),
});

const PhoneSchema = strict({
  phone: text(),
  /** e.g. CELL, MAIN, IPHONE, HOME, WORK, or any label. */
  type: Label.optional(),
  /** With `wa_id` the card offers "Message"; without it, "Invite to WhatsApp". */
  wa_id: text().optional(),
});

const EmailSchema = strict({ email: text(), type: Label.optional() });

const AddressSchema = strict({
  street: text().optional(),
  city: text().optional(),
  state: text().optional(),
  zip: text().optional(),
  country: text().optional(),
  country_code: text().optional(),
  type: Label.optional(),
});

const UrlSchema = strict({
  url: z.string().superRefine((value, ctx) => {
    // Any web address is fine on a card (http too), but it must be one.
    const problem = httpsUrlProblem(value.replace(/^http:/i, 'https:'), false);
    if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a URL` });
  }),
  type: Label.optional(),
});

const OrgSchema = strict({ company: text().optional(), department: text().optional(), title: text().optional() });

/** One contact card. */
export const OutboundContactSchema = strict({
  name: NameSchema,
  phones: z.array(PhoneSchema).optional(),
  emails: z.array(EmailSchema).optional(),
  addresses: z.array(AddressSchema).optional(),
  org: OrgSchema.optional(),
  urls: z.array(UrlSchema).optional(),
  /** `YYYY-MM-DD`. */
  birthday: z
    .string()
    .superRefine((value, ctx) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a date in the form YYYY-MM-DD` });
    })
    .optional(),
});
/** Inferred type of `OutboundContactSchema`. */
export type OutboundContact = z.infer<typeof OutboundContactSchema>;

/**
 * `contacts` payload: 1 to 257 cards. The contacts-message docs say 257; the v23.0 OpenAPI says 5.
 * 257 is kept on purpose (the documented product limit); the OpenAPI number has no other source.
 */
export const OutboundContactsSchema = list(OutboundContactSchema, 'contacts', 1, LIMITS.contacts);

/** A whole `type: "contacts"` message. */
export const OutboundContactsMessageSchema = messageSchema('contacts', OutboundContactsSchema);
/** Inferred type of `OutboundContactsMessageSchema`. */
export type OutboundContactsMessage = z.infer<typeof OutboundContactsMessageSchema>;

/**
 * A contacts message (1–257 cards), validated.
 * @throws ValidationError e.g. `contacts[0].name.formatted_name: is required`
 * @example contactsMessage('+14155551234', [{ name: { formatted_name: 'Ana Lima' }, phones: [{ phone: '+55 11 91234-5678', type: 'CELL' }] }])
 */
export function contactsMessage(to: string, contacts: OutboundContact[], options: OutboundMessageOptions = {}): OutboundContactsMessage {
  return parseOrThrow(OutboundContactsMessageSchema, { ...envelopeFields(to, options), type: 'contacts', contacts });
}
