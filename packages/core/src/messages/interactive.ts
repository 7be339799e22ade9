import { z } from 'zod/v4';
import { messageSchema } from './envelope';
import { LIMITS } from './limits';
import { mediaObject } from './media';
import { byKey, charCount, formatPath, httpsUrl, list, strict, text } from './validate';

// Schemas of `type: "interactive"` messages, one per interactive type. Builders are in
// interactive-builders.ts and choices.ts.

/** Header with text (≤ 60 characters). */
const TextHeaderSchema = strict({ type: z.literal('text'), text: text(LIMITS.interactiveHeaderText) });

const mediaHeader = <K extends 'image' | 'video' | 'document'>(kind: K) => {
  const shape = { type: z.literal(kind), [kind]: mediaObject('header', { caption: false, filename: kind === 'document' }) } as {
    type: z.ZodLiteral<K>;
  } & { [P in K]: ReturnType<typeof mediaObject> };
  return strict(shape);
};

/** Header of a reply-button or cta_url message: text, or image/video/document media. */
export const OutboundInteractiveHeaderSchema = byKey('type', ['text', 'image', 'video', 'document'], [
  TextHeaderSchema,
  mediaHeader('image'),
  mediaHeader('video'),
  mediaHeader('document'),
]);
/** Inferred type of `OutboundInteractiveHeaderSchema`. */
export type OutboundInteractiveHeader = z.infer<typeof OutboundInteractiveHeaderSchema>;

/** Header of list, flow and product_list messages: text only. */
const TextOnlyHeaderSchema = byKey('type', ['text'], [TextHeaderSchema]);

const BodySchema = strict({ text: text(LIMITS.interactiveBody) });
const FooterSchema = strict({ text: text(LIMITS.interactiveFooter) });

/**
 * Reports the second use of a value that must be unique (button titles, row ids) on its own path,
 * naming where the first use is.
 * @internal
 */
function unique<T>(items: readonly T[], pick: (item: T) => string, path: (index: number) => PropertyKey[], what: string, ctx: z.RefinementCtx) {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    const value = pick(item);
    const first = seen.get(value);
    if (first !== undefined) {
      const where = formatPath(path(first).slice(0, -1));
      ctx.addIssue({ code: 'custom', path: path(index), message: `${JSON.stringify(value)} is used twice (also at ${where}); ${what} must be unique` });
    } else seen.set(value, index);
  });
}

const ReplyButtonSchema = strict({
  type: z.literal('reply'),
  reply: strict({
    id: text(LIMITS.replyButtonId).superRefine((id, ctx) => {
      if (id.trim() !== id) ctx.addIssue({ code: 'custom', message: 'has spaces at the start or end, which Meta does not allow in a button id' });
    }),
    title: text(LIMITS.replyButtonTitle),
  }),
});

/** `interactive` of type `button`: 1–3 reply buttons with unique ids and titles. */
export const OutboundButtonInteractiveSchema = strict({
  type: z.literal('button'),
  header: OutboundInteractiveHeaderSchema.optional(),
  body: BodySchema,
  footer: FooterSchema.optional(),
  action: strict({ buttons: list(ReplyButtonSchema, 'buttons', 1, LIMITS.replyButtons) }).superRefine((action, ctx) => {
    unique(action.buttons, (b) => b.reply.id, (i) => ['buttons', i, 'reply', 'id'], 'button ids', ctx);
    unique(action.buttons, (b) => b.reply.title, (i) => ['buttons', i, 'reply', 'title'], 'button titles', ctx);
  }),
});

const ListRowSchema = strict({
  id: text(LIMITS.listRowId),
  title: text(LIMITS.listRowTitle),
  description: text(LIMITS.listRowDescription).optional(),
});

const ListSectionSchema = strict({
  title: text(LIMITS.sectionTitle).optional(),
  rows: list(ListRowSchema, 'rows', 1, LIMITS.listRows),
});

/** Section titles are optional with one section and required with several (Meta's rule). */
function sectionTitles(sections: readonly { title?: string }[], ctx: z.RefinementCtx) {
  if (sections.length < 2) return;
  sections.forEach((section, index) => {
    if (section.title === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sections', index, 'title'], message: `is required when there is more than one section (there are ${sections.length})` });
    }
  });
}

/** `interactive` of type `list`: up to 10 sections and 10 rows in all, row ids unique across sections. */
export const OutboundListInteractiveSchema = strict({
  type: z.literal('list'),
  header: TextOnlyHeaderSchema.optional(),
  body: BodySchema,
  footer: FooterSchema.optional(),
  action: strict({
    button: text(LIMITS.listButton),
    sections: list(ListSectionSchema, 'sections', 1, LIMITS.listSections),
  }).superRefine((action, ctx) => {
    const rows = action.sections.flatMap((section, s) => section.rows.map((row, r) => ({ row, s, r })));
    if (rows.length > LIMITS.listRows) {
      ctx.addIssue({ code: 'custom', path: ['sections'], message: `${rows.length} rows in all sections, the limit is ${LIMITS.listRows}` });
    }
    sectionTitles(action.sections, ctx);
    unique(rows, (x) => x.row.id, (i) => ['sections', rows[i]!.s, 'rows', rows[i]!.r, 'id'], 'row ids (across all sections)', ctx);
  }),
});

/** `interactive` of type `cta_url`: one button that opens an https URL. */
export const OutboundCtaUrlInteractiveSchema = strict({
  type: z.literal('cta_url'),
  header: OutboundInteractiveHeaderSchema.optional(),
  body: BodySchema,
  footer: FooterSchema.optional(),
  action: strict({
    name: z.literal('cta_url'),
    parameters: strict({ display_text: text(LIMITS.ctaDisplayText), url: httpsUrl({ noShorteners: false }) }),
  }),
});

const FlowParametersSchema = strict({
  flow_message_version: z.literal('3'),
  flow_id: text().optional(),
  flow_name: text().optional(),
  flow_cta: text().superRefine((cta, ctx) => {
    // Meta calls 30 "advised"; longer labels are cut off on phones, so we hold to it.
    const count = charCount(cta);
    if (count > LIMITS.flowCta) {
      ctx.addIssue({ code: 'custom', message: `${count} characters, the limit is ${LIMITS.flowCta} (Meta's recommended maximum, enforced here)` });
    }
  }),
  /** Identifies this flow session in your data-exchange endpoint; Meta uses "unused" when absent. */
  flow_token: text().optional(),
  mode: z.enum(['draft', 'published']).optional(),
  flow_action: z.enum(['navigate', 'data_exchange']).optional(),
  flow_action_payload: strict({
    screen: text().optional(),
    data: z.record(z.string(), z.unknown()).superRefine((data, ctx) => {
      if (Object.keys(data).length === 0) ctx.addIssue({ code: 'custom', message: 'is an empty object; Meta needs at least one key, or leave data out' });
    }).optional(),
  }).optional(),
}).superRefine((p, ctx) => {
  if (p.flow_id !== undefined && p.flow_name !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['flow_name'], message: 'given together with flow_id; give exactly one of flow_id and flow_name' });
  } else if (p.flow_id === undefined && p.flow_name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['flow_id'], message: 'is required (or flow_name): say which flow to open' });
  }
  if (p.flow_action === 'data_exchange' && p.flow_action_payload !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['flow_action_payload'], message: 'is only for flow_action "navigate"; with "data_exchange" your endpoint chooses the first screen' });
  }
});

/** `interactive` of type `flow`: opens a WhatsApp Flow by id or name. */
export const OutboundFlowInteractiveSchema = strict({
  type: z.literal('flow'),
  header: TextOnlyHeaderSchema.optional(),
  body: BodySchema,
  footer: FooterSchema.optional(),
  action: strict({ name: z.literal('flow'), parameters: FlowParametersSchema }),
});

/** `interactive` of type `location_request_message`: asks the user to share their location. */
export const OutboundLocationRequestInteractiveSchema = strict(
  {
    type: z.literal('location_request_message'),
    body: BodySchema,
    action: strict({ name: z.literal('send_location') }),
  },
  {
    header: 'location requests have only a body and the send_location action',
    footer: 'location requests have only a body and the send_location action',
  },
);

/** `interactive` of type `product`: one product from a connected catalog (no header). */
export const OutboundProductInteractiveSchema = strict(
  {
    type: z.literal('product'),
    body: BodySchema.optional(),
    footer: FooterSchema.optional(),
    action: strict({ catalog_id: text(), product_retailer_id: text() }),
  },
  { header: 'single-product messages cannot have a header (Meta shows the product image)' },
);

const ProductSectionSchema = strict({
  title: text(LIMITS.sectionTitle).optional(),
  product_items: list(strict({ product_retailer_id: text() }), 'products', 1, LIMITS.productListItems),
});

/** `interactive` of type `product_list`: up to 30 products in up to 10 sections; a text header is required. */
export const OutboundProductListInteractiveSchema = strict({
  type: z.literal('product_list'),
  header: TextOnlyHeaderSchema,
  body: BodySchema,
  footer: FooterSchema.optional(),
  action: strict({
    catalog_id: text(),
    sections: list(ProductSectionSchema, 'sections', 1, LIMITS.listSections),
  }).superRefine((action, ctx) => {
    const total = action.sections.reduce((n, s) => n + s.product_items.length, 0);
    if (total > LIMITS.productListItems) {
      ctx.addIssue({ code: 'custom', path: ['sections'], message: `${total} products in all sections, the limit is ${LIMITS.productListItems}` });
    }
    sectionTitles(action.sections, ctx);
  }),
});

/**
 * `interactive` of type `catalog_message`: a button that opens the catalog. The docs call the
 * thumbnail optional, the OpenAPI requires it: it is required here (the stricter source).
 */
export const OutboundCatalogInteractiveSchema = strict(
  {
    type: z.literal('catalog_message'),
    body: BodySchema,
    footer: FooterSchema.optional(),
    action: strict({ name: z.literal('catalog_message'), parameters: strict({ thumbnail_product_retailer_id: text() }) }),
  },
  { header: 'catalog messages cannot have a header (Meta shows the catalog thumbnail)' },
);

/**
 * `interactive` of type `call_permission_request`: asks the user's permission to call them (WhatsApp
 * Business Calling). The answer arrives as an `interactive.call_permission_reply` message.
 */
export const OutboundCallPermissionInteractiveSchema = strict(
  {
    type: z.literal('call_permission_request'),
    body: BodySchema,
    action: strict({ name: z.literal('call_permission_request') }),
  },
  {
    header: 'call permission requests have only a body and the call_permission_request action',
    footer: 'call permission requests have only a body and the call_permission_request action',
  },
);

/** The interactive types supported, in the order error messages list them. */
export const INTERACTIVE_TYPES = [
  'button',
  'list',
  'cta_url',
  'flow',
  'location_request_message',
  'product',
  'product_list',
  'catalog_message',
  'call_permission_request',
] as const;

/** `interactive` payload, chosen by its `type`. */
export const OutboundInteractiveSchema = byKey('type', INTERACTIVE_TYPES, [
  OutboundButtonInteractiveSchema,
  OutboundListInteractiveSchema,
  OutboundCtaUrlInteractiveSchema,
  OutboundFlowInteractiveSchema,
  OutboundLocationRequestInteractiveSchema,
  OutboundProductInteractiveSchema,
  OutboundProductListInteractiveSchema,
  OutboundCatalogInteractiveSchema,
  OutboundCallPermissionInteractiveSchema,
]);
/** Inferred type of `OutboundInteractiveSchema`. */
export type OutboundInteractive = z.infer<typeof OutboundInteractiveSchema>;

/** A whole `type: "interactive"` message. */
export const OutboundInteractiveMessageSchema = messageSchema('interactive', OutboundInteractiveSchema);
/** Inferred type of `OutboundInteractiveMessageSchema`. */
export type OutboundInteractiveMessage = z.infer<typeof OutboundInteractiveMessageSchema>;
