import { z } from 'zod/v4';
import { envelopeFields, messageSchema, type OutboundMessageOptions } from './envelope';
import { LIMITS } from './limits';
import { mediaObject } from './media';
import { byKey, degrees, list, parseOrThrow, strict, text } from './validate';

// Parameters and components of a template send (api-facts §2.1). The template's own text is fixed
// at creation; a send only fills its variables, so the checks here are about the variables.

/** `parameter_name` of a named template variable: lowercase letters, digits, underscores. */
const ParameterNameSchema = z.string().superRefine((value, ctx) => {
  if (!/^[a-z0-9_]+$/.test(value)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a variable name; names are lowercase letters, digits and underscores, as in the template's {{first_name}}` });
  }
});

/**
 * A `text` parameter's value. Header and body variables may not contain new lines, tabs or more than
 * four spaces in a row (Meta refuses the send with error 132018 / 100 otherwise).
 */
const variableText = (max: number) =>
  text(max).superRefine((value, ctx) => {
    if (/[\n\r\t]/.test(value)) ctx.addIssue({ code: 'custom', message: 'contains a new line or tab, which Meta does not allow in a template variable (only the template text itself can have them)' });
    else if (/ {5,}/.test(value)) ctx.addIssue({ code: 'custom', message: 'has more than 4 spaces in a row, which Meta does not allow in a template variable' });
  });

const textParameter = (max: number) =>
  strict({ type: z.literal('text'), text: variableText(max), parameter_name: ParameterNameSchema.optional() });

const CurrencyParameterSchema = strict({
  type: z.literal('currency'),
  parameter_name: ParameterNameSchema.optional(),
  currency: strict({
    /** Shown when the amount cannot be localised (and by the Cloud API in practice). */
    fallback_value: text(),
    code: z.string().superRefine((code, ctx) => {
      if (!/^[A-Z]{3}$/.test(code)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(code)} is not an ISO 4217 currency code (three capital letters, e.g. USD)` });
    }),
    /** The amount times 1000 (e.g. 100990 for 100.99). */
    amount_1000: z.number().int(),
  }),
});

const DateTimeParameterSchema = strict({
  type: z.literal('date_time'),
  parameter_name: ParameterNameSchema.optional(),
  date_time: strict({
    /** The Cloud API always renders this text. */
    fallback_value: text(),
    // Older component fields, still in Meta's examples; the Cloud API ignores them.
    calendar: z.string().optional(),
    timestamp: z.number().int().optional(),
    year: z.number().int().optional(),
    month: z.number().int().optional(),
    day_of_month: z.number().int().optional(),
    day_of_week: z.number().int().optional(),
    hour: z.number().int().optional(),
    minute: z.number().int().optional(),
  }),
});

const mediaParameter = <K extends 'image' | 'video' | 'document'>(kind: K) =>
  strict({ type: z.literal(kind), [kind]: mediaObject('header', { caption: false, filename: kind === 'document' }) } as {
    type: z.ZodLiteral<K>;
  } & { [P in K]: ReturnType<typeof mediaObject> });

const LocationParameterSchema = strict({
  type: z.literal('location'),
  location: strict({
    latitude: degrees(LIMITS.latitude),
    longitude: degrees(LIMITS.longitude),
    name: text().optional(),
    address: text().optional(),
  }),
});

/** Variables of a header: text (≤ 60), media or a location — one at most. */
const HeaderParameterSchema = byKey('type', ['text', 'currency', 'date_time', 'image', 'video', 'document', 'location'], [
  textParameter(LIMITS.templateHeaderText),
  CurrencyParameterSchema,
  DateTimeParameterSchema,
  mediaParameter('image'),
  mediaParameter('video'),
  mediaParameter('document'),
  LocationParameterSchema,
]);

/** Variables of the body: text (≤ 32768), currency or date_time. */
const BodyParameterSchema = byKey('type', ['text', 'currency', 'date_time'], [
  textParameter(LIMITS.templateBodyText),
  CurrencyParameterSchema,
  DateTimeParameterSchema,
]);

/** Named templates name every variable, positional ones none: a mix is refused by Meta (132012/132018). */
function namedAllOrNone(parameters: readonly { type: string; parameter_name?: string }[], ctx: z.RefinementCtx) {
  const named = parameters.filter((p) => 'parameter_name' in p && p.parameter_name !== undefined).length;
  if (named === 0 || named === parameters.length) return;
  parameters.forEach((p, index) => {
    if (p.parameter_name === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', index, 'parameter_name'],
        message: `is missing while ${named} other parameter(s) here are named; give every parameter a parameter_name (named template) or none (positional template)`,
      });
    }
  });
}

/** `header` component: the one header variable. */
export const OutboundTemplateHeaderComponentSchema = strict({
  type: z.literal('header'),
  parameters: list(HeaderParameterSchema, 'parameters', 1, 1),
});

/** `body` component: the body variables, in order (positional) or by name (named). */
export const OutboundTemplateBodyComponentSchema = strict({
  type: z.literal('body'),
  parameters: list(BodyParameterSchema, 'parameters', 1),
}).superRefine((component, ctx) => namedAllOrNone(component.parameters, ctx));

/** The parameter type each button `sub_type` takes. */
const BUTTON_PARAMETER: Record<string, string> = {
  quick_reply: 'payload',
  url: 'text',
  copy_code: 'coupon_code',
  flow: 'action',
  catalog: 'action',
  mpm: 'action',
};
const BUTTON_SUB_TYPES = Object.keys(BUTTON_PARAMETER);

const ButtonParameterSchema = byKey('type', ['payload', 'text', 'coupon_code', 'action'], [
  strict({ type: z.literal('payload'), payload: text() }),
  /** The dynamic suffix of a url button. */
  strict({ type: z.literal('text'), text: text() }),
  strict({ type: z.literal('coupon_code'), coupon_code: text(LIMITS.couponCode) }),
  strict({
    type: z.literal('action'),
    action: strict({
      flow_token: text().optional(),
      flow_action_data: z.record(z.string(), z.unknown()).optional(),
      thumbnail_product_retailer_id: text().optional(),
      sections: z.array(z.unknown()).optional(),
    }),
  }),
]);

/** Button `index`: 0–9, as a number or a numeric string (both appear in Meta's docs; sent as given). */
const ButtonIndexSchema = z.union([z.number(), z.string()], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number from 0 to 9'),
}).superRefine((index, ctx) => {
  const ok = typeof index === 'number' ? Number.isInteger(index) && index >= 0 && index <= LIMITS.templateButtonIndex : /^[0-9]$/.test(index);
  if (!ok) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(index)} is not a button position; it must be 0 to ${LIMITS.templateButtonIndex}` });
});

/**
 * `button` component: fills the variable of the button at `index`. `sub_type` is accepted in lower or
 * upper case (Meta's examples use both) and sent as given.
 */
export const OutboundTemplateButtonComponentSchema = strict({
  type: z.literal('button'),
  sub_type: z.string().superRefine((subType, ctx) => {
    if (!BUTTON_SUB_TYPES.includes(subType.toLowerCase())) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(subType)} is not supported; use one of: ${BUTTON_SUB_TYPES.join(', ')}` });
    }
  }),
  index: ButtonIndexSchema,
  parameters: list(ButtonParameterSchema, 'parameters', 1),
}).superRefine((component, ctx) => {
  const wanted = BUTTON_PARAMETER[component.sub_type.toLowerCase()];
  component.parameters.forEach((parameter, i) => {
    if (parameter.type !== wanted) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', i, 'type'],
        message: `${JSON.stringify(parameter.type)} does not fit a ${component.sub_type} button; it takes a ${JSON.stringify(wanted)} parameter`,
      });
    }
  });
});

/**
 * `limited_time_offer` component: when the offer's code expires, in milliseconds since 1970
 * (Meta's limited-time offer template guide: `expiration_time_ms`, "UNIX timestamp in milliseconds").
 */
export const OutboundTemplateLimitedTimeOfferComponentSchema = strict({
  type: z.literal('limited_time_offer'),
  parameters: list(
    strict({
      type: z.literal('limited_time_offer'),
      limited_time_offer: strict({
        expiration_time_ms: z.number().int().superRefine((ms, ctx) => {
          if (ms <= 0) ctx.addIssue({ code: 'custom', message: `${ms} is not a time; give milliseconds since 1970 (e.g. Date.now() + 86400000)` });
          else if (ms < 1e11) ctx.addIssue({ code: 'custom', message: `${ms} looks like seconds; Meta wants milliseconds since 1970 (multiply by 1000)` });
        }),
      }),
    }),
    'parameters',
    1,
    1,
  ),
});

/** A carousel card's header: the card's image or video (media cards) or its product (product cards). */
const CardHeaderParameterSchema = byKey('type', ['image', 'video', 'product'], [
  mediaParameter('image'),
  mediaParameter('video'),
  strict({
    type: z.literal('product'),
    product: strict({ product_retailer_id: text(), catalog_id: text() }),
  }),
]);

const CardHeaderComponentSchema = strict({
  type: z.literal('header'),
  parameters: list(CardHeaderParameterSchema, 'parameters', 1, 1),
});

/** What a card holds: its header, its body variables and its buttons' values. */
const CardComponentSchema = byKey('type', ['header', 'body', 'button'], [
  CardHeaderComponentSchema,
  OutboundTemplateBodyComponentSchema,
  OutboundTemplateButtonComponentSchema,
]);

/** One card of a carousel, placed by `card_index` (0 is the first card shown). */
const CarouselCardSchema = strict({
  card_index: z.number().int().superRefine((index, ctx) => {
    if (index < 0 || index >= LIMITS.carouselCards) ctx.addIssue({ code: 'custom', message: `${index} is not a card position; it must be 0 to ${LIMITS.carouselCards - 1}` });
  }),
  components: list(CardComponentSchema, 'components', 1),
});

/**
 * How a card's buttons are laid out: what Meta needs to be the same on every card. Quick-reply
 * payloads are left out: they are optional per card, while url and coupon values are required on
 * every card once the template has them.
 */
function buttonLayout(components: readonly { type: string; sub_type?: string; index?: number | string }[]): string {
  return components
    .filter((c) => c.type === 'button' && String(c.sub_type).toLowerCase() !== 'quick_reply')
    .map((c) => `${String(c.sub_type).toLowerCase()}@${String(c.index)}`)
    .sort()
    .join(',');
}

/**
 * `carousel` component: up to 10 cards (Meta's media and product card carousel guides), each with
 * a header (image, video or product) and the values of its body and buttons. Every card has the
 * same header kind and the same button layout, as Meta requires of a carousel's cards.
 */
export const OutboundTemplateCarouselComponentSchema = strict({
  type: z.literal('carousel'),
  cards: list(CarouselCardSchema, 'cards', 1, LIMITS.carouselCards),
}).superRefine((carousel, ctx) => {
  const seen = new Map<number, number>();
  const first = carousel.cards[0];
  const headerKind = (card: typeof first) => {
    const header = card?.components.find((c) => c.type === 'header') as { parameters: Array<{ type: string }> } | undefined;
    return header?.parameters[0]?.type;
  };
  carousel.cards.forEach((card, i) => {
    const earlier = seen.get(card.card_index);
    if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['cards', i, 'card_index'], message: `card_index ${card.card_index} is already used by cards[${earlier}]; give each card its own position` });
    else seen.set(card.card_index, i);
    const kind = headerKind(card);
    if (kind === undefined) ctx.addIssue({ code: 'custom', path: ['cards', i, 'components'], message: 'has no header; every card needs its image, video or product' });
    else if (i > 0 && kind !== headerKind(first)) {
      ctx.addIssue({ code: 'custom', path: ['cards', i, 'components'], message: `has a ${kind} header while cards[0] has ${String(headerKind(first))}; every card of a carousel has the same header kind` });
    }
    if (i > 0 && buttonLayout(card.components) !== buttonLayout(first!.components)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cards', i, 'components'],
        message: `buttons (${buttonLayout(card.components) || 'none'}) differ from cards[0] (${buttonLayout(first!.components) || 'none'}); every card has the same buttons`,
      });
    }
  });
});

/** One template component: header, body, button, limited-time offer or carousel. */
export const OutboundTemplateComponentSchema = byKey('type', ['header', 'body', 'button', 'limited_time_offer', 'carousel'], [
  OutboundTemplateHeaderComponentSchema,
  OutboundTemplateBodyComponentSchema,
  OutboundTemplateButtonComponentSchema,
  OutboundTemplateLimitedTimeOfferComponentSchema,
  OutboundTemplateCarouselComponentSchema,
]);
/** Inferred type of `OutboundTemplateComponentSchema`. */
export type OutboundTemplateComponent = z.infer<typeof OutboundTemplateComponentSchema>;

/** `template` payload: name, language and the variables. */
export const OutboundTemplateSchema = strict({
  name: z.string().superRefine((name, ctx) => {
    if (name.length > LIMITS.templateName) ctx.addIssue({ code: 'custom', message: `${name.length} characters, the limit is ${LIMITS.templateName}` });
    else if (!/^[a-z0-9_]+$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a template name; names are lowercase letters, digits and underscores` });
    }
  }),
  language: strict({
    /** e.g. `en`, `en_US`, `pt_BR`: the language the template was approved in. */
    code: z.string().superRefine((code, ctx) => {
      if (!/^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$/.test(code)) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(code)} is not a language code; use the template's code such as en, en_US or pt_BR` });
      }
    }),
    /** The only policy there is; optional. */
    policy: z.literal('deterministic').optional(),
  }),
  components: z
    .array(OutboundTemplateComponentSchema)
    .superRefine((components, ctx) => {
      const seen = new Map<string, number>();
      components.forEach((component, i) => {
        // One header, one body, one fill per button position.
        const key = component.type === 'button' ? `button index ${String(component.index)}` : component.type;
        const first = seen.get(key);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: [i], message: `a second ${key} component (the first is at index ${first}); give each once` });
        } else seen.set(key, i);
      });
    })
    .optional(),
});
/** Inferred type of `OutboundTemplateSchema`. */
export type OutboundTemplate = z.infer<typeof OutboundTemplateSchema>;

/** A whole `type: "template"` message: the only kind allowed outside the 24-hour window. */
export const OutboundTemplateMessageSchema = messageSchema('template', OutboundTemplateSchema);
/** Inferred type of `OutboundTemplateMessageSchema`. */
export type OutboundTemplateMessage = z.infer<typeof OutboundTemplateMessageSchema>;

/**
 * A template message, validated.
 * @param components - variables in Graph shape (header/body/button components); leave out for a template without variables
 * @throws ValidationError e.g. `template.components[0].parameters[0].text: 61 characters, the limit is 60`
 * @example templateMessage('+14155551234', 'order_update', 'en_US', [{ type: 'body', parameters: [{ type: 'text', text: 'A-123' }] }])
 */
export function templateMessage(
  to: string,
  name: string,
  languageCode: string,
  components?: OutboundTemplateComponent[],
  options: OutboundMessageOptions = {},
): OutboundTemplateMessage {
  return parseOrThrow(OutboundTemplateMessageSchema, {
    ...envelopeFields(to, options),
    type: 'template',
    template: { name, language: { code: languageCode }, ...(components !== undefined ? { components } : {}) },
  });
}
