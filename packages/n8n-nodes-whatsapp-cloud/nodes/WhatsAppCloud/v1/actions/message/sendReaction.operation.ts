import { reactionMessage } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendReaction'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Message ID',
    name: 'messageId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'wamid.HBgL…',
    description: 'The message to react to (from a trigger item: messageId)',
    displayOptions: { show },
  },
  {
    displayName: 'Emoji',
    name: 'emoji',
    type: 'string',
    default: '👍',
    description: 'One emoji. Leave empty to remove your earlier reaction.',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) =>
      reactionMessage(this.getNodeParameter('to', i) as string, this.getNodeParameter('messageId', i) as string, this.getNodeParameter('emoji', i, '') as string),
    readSendSettings(this),
  );
}
