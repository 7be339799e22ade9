import { createTemplateFromLibrary, type LibraryButtonInput } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['template'], operation: ['createFromLibrary'] };

export const description: INodeProperties[] = [
  { displayName: 'Template Name', name: 'name', type: 'string', required: true, default: '', placeholder: 'my_delivery_update', description: 'Your name for the new template: lower case letters, digits and underscores', displayOptions: { show } },
  { displayName: 'Language', name: 'language', type: 'string', required: true, default: 'en_US', displayOptions: { show } },
  {
    displayName: 'Library Template Name',
    name: 'libraryTemplateName',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'delivery_update_1',
    description: 'The exact name of the template in Meta\'s template library (WhatsApp Manager → Message templates → Template library). Library templates are UTILITY templates, approved at once.',
    displayOptions: { show },
  },
  {
    displayName: 'Website URL',
    name: 'websiteUrl',
    type: 'string',
    default: '',
    placeholder: 'https://shop.example.com/track/{{1}}',
    description: 'For a library template with a website button: your URL (a {{1}} at the end is filled at send time)',
    displayOptions: { show },
  },
  {
    displayName: 'Website URL Example',
    name: 'websiteUrlExample',
    type: 'string',
    default: '',
    placeholder: 'https://shop.example.com/track/123',
    description: 'A full example URL, needed when the website URL ends in {{1}}',
    displayOptions: { show },
  },
  {
    displayName: 'Phone Number',
    name: 'phoneNumber',
    type: 'string',
    default: '',
    placeholder: '+16315551010',
    description: 'For a library template with a call button: your phone number with country code',
    displayOptions: { show },
  },
  {
    displayName: 'Body Options',
    name: 'bodyInputs',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Add Contact Number', name: 'add_contact_number', type: 'boolean', default: false, description: 'Whether to add a line about calling your phone number' },
      { displayName: 'Add Learn More Link', name: 'add_learn_more_link', type: 'boolean', default: false, description: 'Whether to add a "learn more" link line (not available everywhere)' },
      { displayName: 'Add Security Recommendation', name: 'add_security_recommendation', type: 'boolean', default: false, description: 'Whether to add "do not share this code" to a code template' },
      { displayName: 'Add Track Package Link', name: 'add_track_package_link', type: 'boolean', default: false, description: 'Whether to add a package tracking line (not available everywhere)' },
      { displayName: 'Code Expiration (Minutes)', name: 'code_expiration_minutes', type: 'number', default: 10, typeOptions: { minValue: 1, maxValue: 90 }, description: 'For code templates: minutes until the code expires (1–90)' },
    ],
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  return await runForEachItem(
    this,
    async (client, i) => {
      const buttonInputs: LibraryButtonInput[] = [];
      const url = String(this.getNodeParameter('websiteUrl', i, '')).trim();
      const example = String(this.getNodeParameter('websiteUrlExample', i, '')).trim();
      const phone = String(this.getNodeParameter('phoneNumber', i, '')).trim();
      if (url) buttonInputs.push({ type: 'URL', url: { base_url: url, ...(example ? { url_suffix_example: example } : {}) } });
      if (phone) buttonInputs.push({ type: 'PHONE_NUMBER', phone_number: phone });
      const bodyInputs = this.getNodeParameter('bodyInputs', i, {}) as Record<string, boolean | number>;
      const result = await createTemplateFromLibrary(client.graph, wabaId, {
        name: this.getNodeParameter('name', i) as string,
        language: this.getNodeParameter('language', i) as string,
        libraryTemplateName: this.getNodeParameter('libraryTemplateName', i) as string,
        buttonInputs,
        bodyInputs,
      });
      return { ...result } as IDataObject;
    },
    { mode: 'sequential' },
  );
}
