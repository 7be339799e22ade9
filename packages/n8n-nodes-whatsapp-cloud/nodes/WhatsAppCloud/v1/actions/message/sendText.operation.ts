import { textMessage } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

export const description: INodeProperties[] = [
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 4 },
    description: 'Up to 4096 characters. Only inside the 24-hour window (see Window Policy).',
    displayOptions: { show: { resource: ['message'], operation: ['sendText'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => {
      const options = this.getNodeParameter('options', i, {}) as IDataObject;
      return textMessage(this.getNodeParameter('to', i) as string, this.getNodeParameter('text', i) as string, {
        ...envelopeOptions(this, i),
        ...(options.previewUrl === true ? { previewUrl: true } : {}),
      });
    },
    readSendSettings(this),
  );
}
