import { deleteMedia } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [
  {
    displayName: 'Media ID',
    name: 'mediaId',
    type: 'string',
    required: true,
    default: '',
    displayOptions: { show: { resource: ['media'], operation: ['delete'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const mediaId = (this.getNodeParameter('mediaId', i) as string).trim();
      const deleted = await deleteMedia(client.graph, mediaId, { phoneNumberId: client.phoneNumberId });
      return { mediaId, deleted };
    },
    { mode: 'sequential' },
  );
}
