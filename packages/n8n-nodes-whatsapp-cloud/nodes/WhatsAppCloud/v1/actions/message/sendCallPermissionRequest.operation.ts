import { callPermissionRequestMessage } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendCallPermissionRequest'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Text',
    name: 'body',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'May we call you about your order?',
    description: 'Why you would like to call (≤ 1024 characters). The answer arrives on the WhatsApp Cloud Trigger as a message with callPermissionReply (accept or reject).',
    typeOptions: { rows: 2 },
    displayOptions: { show },
  },
];

/** `interactive.type: "call_permission_request"` per item, through the limiter and the window guard. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => callPermissionRequestMessage(this.getNodeParameter('to', i) as string, this.getNodeParameter('body', i) as string, envelopeOptions(this, i)),
    readSendSettings(this),
  );
}
