import { templateAnalytics } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { rowsForEachItem } from './run';

const show = { resource: ['analytics'], operation: ['templates'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Template IDs',
    name: 'templateIds',
    type: 'string',
    default: '',
    placeholder: '1689556908129832, 954638012257287',
    description: 'Comma-separated template IDs; empty for every approved template (read 10 at a time)',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await rowsForEachItem(this, async (graph, wabaId, i) => {
    const ids = String(this.getNodeParameter('templateIds', i, ''))
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    const rows = await templateAnalytics(graph, wabaId, { start: this.getNodeParameter('start', i) as string, end: this.getNodeParameter('end', i) as string, ...(ids.length ? { templateIds: ids } : {}) });
    return rows as unknown as IDataObject[];
  });
}
