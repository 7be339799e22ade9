import { createTemplate, type TemplateDefinition } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['template'], operation: ['create'] };

export const description: INodeProperties[] = [
  { displayName: 'Template Name', name: 'name', type: 'string', required: true, default: '', placeholder: 'order_update', description: 'Lower case letters, digits and underscores', displayOptions: { show } },
  { displayName: 'Language', name: 'language', type: 'string', required: true, default: 'en_US', displayOptions: { show } },
  {
    displayName: 'Category',
    name: 'category',
    type: 'options',
    default: 'UTILITY',
    displayOptions: { show },
    options: [
      { name: 'Authentication', value: 'AUTHENTICATION' },
      { name: 'Marketing', value: 'MARKETING' },
      { name: 'Utility', value: 'UTILITY' },
    ],
  },
  {
    displayName: 'Parameter Format',
    name: 'parameterFormat',
    type: 'options',
    default: 'positional',
    displayOptions: { show },
    options: [
      { name: 'Positional', value: 'positional', description: 'Variables are numbered: {{1}}, {{2}}, …' },
      { name: 'Named', value: 'named', description: 'Variables have names: {{first_name}}' },
    ],
  },
  {
    displayName: 'Components (JSON)',
    name: 'components',
    type: 'json',
    required: true,
    default: '[\n  { "type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped.", "example": { "body_text": [["Ana", "#1042"]] } }\n]',
    description: 'Header, body, footer and buttons in Meta\'s format (also CAROUSEL, LIMITED_TIME_OFFER, and OTP buttons with otp_type for authentication). Checked against Meta\'s rules before it is submitted.',
    displayOptions: { show },
  },
  {
    displayName: 'Time To Live (Seconds)',
    name: 'messageSendTtlSeconds',
    type: 'number',
    default: 0,
    description: 'How long Meta keeps trying to deliver (message_send_ttl_seconds); 0 leaves Meta\'s default. Authentication 30–900, utility 30–43200 (-1 = 30 days), marketing 43200–2592000 (marketing TTL applies through the Marketing Messages API).',
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  return await runForEachItem(
    this,
    async (client, i) => {
      let components = this.getNodeParameter('components', i) as unknown;
      if (typeof components === 'string') {
        try {
          components = JSON.parse(components);
        } catch {
          throw new NodeOperationError(this.getNode(), 'Components (JSON) is not valid JSON', { itemIndex: i });
        }
      }
      const definition = {
        name: this.getNodeParameter('name', i) as string,
        language: this.getNodeParameter('language', i) as string,
        category: this.getNodeParameter('category', i) as string,
        parameter_format: this.getNodeParameter('parameterFormat', i) as string,
        components,
      } as TemplateDefinition;
      const ttl = this.getNodeParameter('messageSendTtlSeconds', i, 0) as number;
      if (ttl) definition.message_send_ttl_seconds = ttl;
      return { ...(await createTemplate(client.graph, wabaId, definition)) } as IDataObject;
    },
    { mode: 'sequential' },
  );
}
