import { listTemplates } from '@wa-cloud/core';
import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';
import { getCredentials, requireWabaId, withGraph } from '../../transport';

/** APPROVED templates of the WABA, every page, one entry per name (languages are chosen next). */
export async function searchTemplates(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const credentials = await getCredentials(this);
  const wabaId = requireWabaId(this.getNode(), credentials);
  const templates = await withGraph(credentials, (graph) => listTemplates(graph, wabaId, { status: 'APPROVED' }));
  const byName = new Map<string, string[]>();
  for (const t of templates) byName.set(t.name, [...(byName.get(t.name) ?? []), t.language]);
  const needle = filter?.toLowerCase().trim();
  const results = [...byName]
    .filter(([name]) => !needle || name.toLowerCase().includes(needle))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, languages]) => ({ name: `${name} (${languages.join(', ')})`, value: name }));
  return { results };
}
