import { setPhoneNumberWebhook } from '@wa-cloud/core';
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { getCredentials } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [
  {
    displayName: 'Callback URL',
    name: 'callbackUrl',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'https://n8n.example.com/webhook/…/whatsapp',
    description: 'Where this phone number\'s webhooks go instead of the app\'s URL. Meta checks it first with a GET challenge using the credential\'s verify token.',
    displayOptions: { show: { resource: ['webhook'], operation: ['setOverride'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const credentials = await getCredentials(this);
  if (!credentials.verifyToken) {
    throw new NodeOperationError(this.getNode(), 'The credentials have no verify token', {
      description: 'Fill in "Verify Token" in the WhatsApp Cloud API credentials; Meta sends it to the URL to check it.',
    });
  }
  return await runForEachItem(
    this,
    async (client, i) => {
      const callbackUrl = (this.getNodeParameter('callbackUrl', i) as string).trim();
      const set = await setPhoneNumberWebhook(client.graph, client.phoneNumberId, { callbackUri: callbackUrl, verifyToken: credentials.verifyToken! });
      return { phoneNumberId: client.phoneNumberId, callbackUrl, set };
    },
    { mode: 'sequential' },
  );
}
