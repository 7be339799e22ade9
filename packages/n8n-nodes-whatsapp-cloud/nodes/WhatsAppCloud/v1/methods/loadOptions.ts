import { listTemplates } from '@wa-cloud/core';
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { getCredentials, requireWabaId, withGraph } from '../../transport';

/** Languages the chosen template is APPROVED in. */
export async function getTemplateLanguages(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
  const name = this.getCurrentNodeParameter('templateName', { extractValue: true }) as string | undefined;
  if (!name) return [];
  const credentials = await getCredentials(this);
  const wabaId = requireWabaId(this.getNode(), credentials);
  const templates = await withGraph(credentials, (graph) => listTemplates(graph, wabaId, { status: 'APPROVED', name }));
  return templates
    .map((t) => ({ name: t.language, value: t.language, description: `${t.category}${t.parameter_format ? `, ${String(t.parameter_format).toLowerCase()} parameters` : ''}` }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
