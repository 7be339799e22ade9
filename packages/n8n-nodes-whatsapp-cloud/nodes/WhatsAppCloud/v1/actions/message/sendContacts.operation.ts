import { contactsMessage } from '@wa-cloud/core';
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

export const description: INodeProperties[] = [
  {
    displayName: 'Contacts (JSON)',
    name: 'contacts',
    type: 'json',
    required: true,
    default: '[\n  {\n    "name": { "formatted_name": "Ana Lima" },\n    "phones": [{ "phone": "+55 11 91234-5678", "type": "CELL" }]\n  }\n]',
    description: 'One to 257 contact cards in Meta\'s contact format: name.formatted_name is required; phones, emails, addresses, org, URLs and birthday are optional',
    displayOptions: { show: { resource: ['message'], operation: ['sendContacts'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => {
      let contacts = this.getNodeParameter('contacts', i) as unknown;
      if (typeof contacts === 'string') {
        try {
          contacts = JSON.parse(contacts);
        } catch {
          throw new NodeOperationError(this.getNode(), 'Contacts (JSON) is not valid JSON', { itemIndex: i });
        }
      }
      if (!Array.isArray(contacts)) contacts = [contacts];
      return contactsMessage(this.getNodeParameter('to', i) as string, contacts as never, envelopeOptions(this, i));
    },
    readSendSettings(this),
  );
}
