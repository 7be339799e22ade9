import { uploadMedia } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['media'], operation: ['upload'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Input Binary Field',
    name: 'binaryPropertyName',
    type: 'string',
    required: true,
    default: 'data',
    hint: 'The name of the input binary field containing the file to upload',
    displayOptions: { show },
  },
  {
    displayName: 'File Name',
    name: 'fileName',
    type: 'string',
    default: '',
    description: 'Name sent with the file (documents show it); the binary file\'s own name when empty',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const property = this.getNodeParameter('binaryPropertyName', i) as string;
      const binary = this.helpers.assertBinaryData(i, property);
      const data = await this.helpers.getBinaryDataBuffer(i, property);
      const fileName = (this.getNodeParameter('fileName', i, '') as string) || binary.fileName;
      const uploaded = await uploadMedia(client.graph, client.phoneNumberId, {
        data,
        mimeType: binary.mimeType,
        ...(fileName ? { filename: fileName } : {}),
      });
      return { mediaId: uploaded.id, kind: uploaded.kind, size: uploaded.size, mimeType: binary.mimeType } as IDataObject;
    },
    { mode: 'sequential' },
  );
}
