import { deleteTemplate } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['template'], operation: ['delete'] };

export const description: INodeProperties[] = [
  { displayName: 'Template Name', name: 'name', type: 'string', required: true, default: '', description: 'Deletes every language of this template unless a template ID is given', displayOptions: { show } },
  { displayName: 'Template ID', name: 'templateId', type: 'string', default: '', description: 'Delete only this language version', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  return await runForEachItem(
    this,
    async (client, i) => {
      const name = this.getNodeParameter('name', i) as string;
      const id = (this.getNodeParameter('templateId', i, '') as string).trim();
      const deleted = await deleteTemplate(client.graph, wabaId, { name, ...(id ? { id } : {}) });
      return { name, ...(id ? { templateId: id } : {}), deleted };
    },
    { mode: 'sequential' },
  );
}
