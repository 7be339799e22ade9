import { findTemplate, WhatsAppError, type GraphApi, type MessageTemplate, type TemplateParameterSpec } from '@wa-cloud/core';
import type { IDataObject } from 'n8n-workflow';

/**
 * Resource-mapper field ids are core's parameter keys with every `.` written as `-`
 * (`body.1` → `body-1`, `card.0.button.1` → `card-0-button-1`): n8n reads dots in field ids as
 * paths. Template variable names are lowercase letters, digits and underscores, so `-` never
 * occurs in a key.
 */
export const fieldId = (key: string): string => key.replace(/\./g, '-');
export const parameterKey = (id: string): string => id.replace(/-/g, '.');

/** The resource mapper's values turned back into core's parameter keys, empty values left out. */
export function templateValues(mapped: IDataObject | null | undefined): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [id, value] of Object.entries(mapped ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    values[parameterKey(id)] = value;
  }
  return values;
}

/** A human label for a template parameter. */
export function parameterLabel(spec: TemplateParameterSpec): string {
  if (spec.component === 'otp') return 'Verification Code (sent in the body and the button)';
  if (spec.component === 'limited_time_offer') return 'Offer Expires At (ISO date-time or milliseconds since 1970)';
  const card = spec.card !== undefined ? `Card ${spec.card + 1} ` : '';
  const what = spec.format === 'text' ? '' : spec.format === 'product' ? ' (product: { product_retailer_id, catalog_id })' : ` (${spec.format.replace('_', ' ')})`;
  if (spec.component === 'button') return `${card}Button ${(spec.index ?? 0) + 1}${spec.label ? ` "${spec.label}"` : ''}${what}`;
  const where = spec.component === 'header' ? 'Header' : 'Body';
  const variable = spec.name ?? (spec.position !== undefined ? `{{${spec.position}}}` : '');
  return `${card}${where} ${variable}${what}`.replace(/\s+/g, ' ').trim();
}

/** Finds an APPROVED template by name and language (every page is searched). */
export async function approvedTemplate(graph: GraphApi, wabaId: string, name: string, language: string): Promise<MessageTemplate> {
  const template = await findTemplate(graph, wabaId, name, language);
  if (!template) {
    throw new WhatsAppError(`There is no template "${name}" in language "${language}" in this WhatsApp Business Account`, {
      code: 'template_not_found',
      category: 'template',
      hint: 'Check the template name and language code in WhatsApp Manager → Message templates (names are lower case with underscores).',
    });
  }
  if (String(template.status).toUpperCase() !== 'APPROVED') {
    throw new WhatsAppError(`Template "${name}" (${language}) is ${template.status}, not APPROVED`, {
      code: 'template_not_approved',
      category: 'template',
      hint: 'Only approved templates can be sent: wait for Meta\'s review or pick another template.',
    });
  }
  return template;
}
