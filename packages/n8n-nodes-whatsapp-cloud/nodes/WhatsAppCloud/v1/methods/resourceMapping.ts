import { templateParameters } from '@wa-cloud/core';
import type { ILoadOptionsFunctions, ResourceMapperFields } from 'n8n-workflow';
import { getCredentials, requireWabaId, withGraph } from '../../transport';
import { approvedTemplate, fieldId, parameterLabel } from '../helpers/templates';

/**
 * The chosen template's own variables as fields (header, body — positional or named — and
 * buttons), built by core from the template's components, so the form matches what Meta expects.
 */
export async function getTemplateParameters(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
  const name = this.getNodeParameter('templateName', undefined, { extractValue: true }) as string | undefined;
  const language = this.getNodeParameter('languageCode', undefined) as string | undefined;
  if (!name || !language) return { fields: [] };
  const credentials = await getCredentials(this);
  const wabaId = requireWabaId(this.getNode(), credentials);
  const template = await withGraph(credentials, (graph) => approvedTemplate(graph, wabaId, name, language));
  const fields = templateParameters(template).map((spec) => ({
    id: fieldId(spec.key),
    displayName: `${parameterLabel(spec)}${spec.example ? ` — e.g. ${spec.example}` : ''}`,
    required: spec.required,
    defaultMatch: false,
    display: true,
    type: 'string' as const,
    canBeUsedToMatch: false,
  }));
  return { fields };
}
