import { GraphApiError, ValidationError } from '../errors/error-classes';
import type { GraphApi } from '../http/graph-api';
import type { MessageTemplate, TemplateDefinition } from './types';
import { validateTemplateDefinition } from './validate';

/** The fields listed unless asked otherwise: enough to pick a template and build its send. */
export const TEMPLATE_FIELDS = 'id,name,status,category,language,components,parameter_format,quality_score,rejected_reason';

export interface ListTemplatesOptions {
  /** e.g. `APPROVED`; sent to Meta and checked again here. */
  status?: string;
  /** Exact template name (all its languages). */
  name?: string;
  /** Exact language code, e.g. `en_US`. */
  language?: string;
  /** MARKETING, UTILITY or AUTHENTICATION. */
  category?: string;
  /** Page size asked of Meta (it may return fewer). @default 100 */
  limit?: number;
  /** Stop after this many pages (a guard, not a filter). @default 50 */
  maxPages?: number;
  /** @default TEMPLATE_FIELDS */
  fields?: string;
}

interface Page {
  data?: MessageTemplate[];
  paging?: { cursors?: { after?: string }; next?: string };
}

/** Meta's answer for a cursor it no longer accepts (v24+): list again from the first page. */
const INVALID_CURSOR = 131059;

function matches(template: MessageTemplate, options: ListTemplatesOptions): boolean {
  const same = (a: string | undefined, b: unknown) => a === undefined || String(b ?? '').toUpperCase() === a.toUpperCase();
  return (
    same(options.status, template.status) &&
    same(options.category, template.category) &&
    (options.name === undefined || template.name === options.name) &&
    (options.language === undefined || template.language === options.language)
  );
}

/**
 * Lists a WABA's templates, following every page (many tools read only the first), filtered by
 * status, name, language and category. A cursor Meta no longer accepts (131059) restarts the
 * listing once from the first page.
 *
 * @example
 * const approved = await listTemplates(graph, wabaId, { status: 'APPROVED' });
 */
export async function listTemplates(graph: GraphApi, wabaId: string, options: ListTemplatesOptions = {}): Promise<MessageTemplate[]> {
  const maxPages = options.maxPages ?? 50;
  for (let attempt = 0; ; attempt++) {
    const found = new Map<string, MessageTemplate>();
    let after: string | undefined;
    try {
      for (let page = 0; page < maxPages; page++) {
        const body = await graph.request<Page>('GET', `${encodeURIComponent(wabaId)}/message_templates`, {
          query: {
            fields: options.fields ?? TEMPLATE_FIELDS,
            limit: options.limit ?? 100,
            status: options.status,
            name: options.name,
            language: options.language,
            category: options.category,
            after,
          },
        });
        for (const template of body.data ?? []) if (matches(template, options)) found.set(template.id ?? `${template.name}:${template.language}`, template);
        after = body.paging?.cursors?.after;
        if (!body.paging?.next || !after || (body.data ?? []).length === 0) break;
      }
      return [...found.values()];
    } catch (error) {
      if (attempt === 0 && after !== undefined && error instanceof GraphApiError && error.graphCode === INVALID_CURSOR) continue;
      throw error;
    }
  }
}

/**
 * Reads one template by its ID.
 * @example
 * const template = await getTemplate(graph, '1689556908129832');
 */
export async function getTemplate(graph: GraphApi, templateId: string, options: { fields?: string } = {}): Promise<MessageTemplate> {
  return graph.request<MessageTemplate>('GET', encodeURIComponent(templateId), { query: { fields: options.fields ?? TEMPLATE_FIELDS } });
}

/**
 * Finds a template by name and language (what a send names), or undefined.
 * @example
 * const template = await findTemplate(graph, wabaId, 'order_update', 'en_US');
 */
export async function findTemplate(graph: GraphApi, wabaId: string, name: string, language: string): Promise<MessageTemplate | undefined> {
  const [template] = await listTemplates(graph, wabaId, { name, language });
  return template;
}

export interface CreateTemplateResult {
  id: string;
  /** Usually PENDING; APPROVED when Meta approves instantly. */
  status: string;
  category: string;
}

/**
 * Submits a new template after {@link validateTemplateDefinition} passes, so rules Meta would
 * reject (numbering, variables at the ends, lengths, shorteners) fail here with the field named.
 *
 * @throws ValidationError before any request; GraphApiError (2388xxx) for rules only Meta knows.
 * @example
 * await createTemplate(graph, wabaId, { name: 'order_update', language: 'en_US', category: 'UTILITY',
 *   components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} shipped.', example: { body_text: [['Ana', '#1']] } }] });
 */
export async function createTemplate(graph: GraphApi, wabaId: string, definition: TemplateDefinition): Promise<CreateTemplateResult> {
  validateTemplateDefinition(definition);
  const body = await graph.request<Record<string, unknown>>('POST', `${encodeURIComponent(wabaId)}/message_templates`, { json: definition });
  return { id: String(body.id ?? ''), status: String(body.status ?? ''), category: String(body.category ?? '') };
}

/**
 * Deletes a template: every language of `name`, or only the one with `id` (Meta's `hsm_id`).
 * A deleted approved name cannot be reused for 30 days.
 * @example
 * await deleteTemplate(graph, wabaId, { name: 'order_update' });
 */
export async function deleteTemplate(graph: GraphApi, wabaId: string, target: { name: string; id?: string }): Promise<boolean> {
  if (!target?.name) throw new ValidationError('name', 'the template name is required (Meta deletes by name)');
  const body = await graph.request<{ success?: boolean }>('DELETE', `${encodeURIComponent(wabaId)}/message_templates`, {
    query: { name: target.name, hsm_id: target.id },
  });
  return body.success === true;
}
