import { downloadMedia } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['media'], operation: ['download'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Media ID',
    name: 'mediaId',
    type: 'string',
    required: true,
    default: '',
    description: 'The media ID from a trigger item or an upload. Inbound media can be downloaded for 7 days.',
    displayOptions: { show },
  },
  {
    displayName: 'Put Output File in Field',
    name: 'binaryPropertyName',
    type: 'string',
    required: true,
    default: 'data',
    hint: 'The name of the output binary field to put the file in',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const items = this.getInputData();
  return await runForEachItem(
    this,
    async (client, i) => {
      const mediaId = (this.getNodeParameter('mediaId', i) as string).trim();
      const property = this.getNodeParameter('binaryPropertyName', i) as string;
      const file = await downloadMedia(client.graph, mediaId, { phoneNumberId: client.phoneNumberId });
      const binary = await this.helpers.prepareBinaryData(file.data, file.filename ?? mediaId, file.mimeType);
      return {
        json: { ...items[i]!.json, mediaId, mimeType: file.mimeType, fileSize: file.fileSize, ...(file.sha256 ? { sha256: file.sha256 } : {}) },
        binary: { ...(items[i]!.binary ?? {}), [property]: binary },
      };
    },
    { mode: 'sequential' },
  );
}
