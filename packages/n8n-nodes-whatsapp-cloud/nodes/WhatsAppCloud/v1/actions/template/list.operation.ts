import { listTemplates } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['template'], operation: ['list'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    displayOptions: { show },
    options: [
      {
        displayName: 'Category',
        name: 'category',
        type: 'options',
        default: 'UTILITY',
        options: [
          { name: 'Authentication', value: 'AUTHENTICATION' },
          { name: 'Marketing', value: 'MARKETING' },
          { name: 'Utility', value: 'UTILITY' },
        ],
      },
      { displayName: 'Language', name: 'language', type: 'string', default: '', placeholder: 'en_US' },
      { displayName: 'Name', name: 'name', type: 'string', default: '', description: 'Exact template name' },
      {
        displayName: 'Status',
        name: 'status',
        type: 'options',
        default: 'APPROVED',
        options: [
          { name: 'Approved', value: 'APPROVED' },
          { name: 'Disabled', value: 'DISABLED' },
          { name: 'Paused', value: 'PAUSED' },
          { name: 'Pending', value: 'PENDING' },
          { name: 'Rejected', value: 'REJECTED' },
        ],
      },
    ],
  },
];

/** One output item per template (every page is read). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  const perItem = await runForEachItem(
    this,
    async (client, i) => {
      const filters = this.getNodeParameter('filters', i, {}) as IDataObject;
      const templates = await listTemplates(client.graph, wabaId, filters as Record<string, string>);
      return { templates: templates as unknown as IDataObject[] };
    },
    { mode: 'sequential' },
  );
  return perItem.flatMap((item) =>
    Array.isArray(item.json.templates) ? (item.json.templates as IDataObject[]).map((t) => ({ json: t, pairedItem: item.pairedItem })) : [item],
  );
}
