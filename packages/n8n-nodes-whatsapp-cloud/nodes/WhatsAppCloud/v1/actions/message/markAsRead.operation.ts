import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';
import { readSendSettings } from '../../helpers/options';

export const description: INodeProperties[] = [
  {
    displayName: 'Message ID',
    name: 'messageId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'wamid.HBgL…',
    description: 'The received message to mark as read (earlier ones in the chat are marked too)',
    displayOptions: { show: { resource: ['message'], operation: ['markAsRead'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const options = this.getNodeParameter('options', i, {}) as IDataObject;
      const messageId = this.getNodeParameter('messageId', i) as string;
      const result = await client.markAsRead(messageId, { typing: options.typing === true });
      return { messageId, success: result.success, typing: options.typing === true };
    },
    { mode: 'concurrent', settings: readSendSettings(this) },
  );
}
