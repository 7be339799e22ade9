import { buildTemplateComponents, type MessageTemplate } from '@wa-cloud/core';
import { templateMessage } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { requireWabaId, getCredentials } from '../../../transport';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';
import { approvedTemplate, templateValues } from '../../helpers/templates';

const show = { resource: ['message'], operation: ['sendTemplate'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Template',
    name: 'templateName',
    type: 'resourceLocator',
    required: true,
    default: { mode: 'list', value: '' },
    description: 'An APPROVED template of the WhatsApp Business Account (all pages are listed)',
    displayOptions: { show },
    modes: [
      {
        displayName: 'From List',
        name: 'list',
        type: 'list',
        typeOptions: { searchListMethod: 'searchTemplates', searchable: true },
      },
      {
        displayName: 'By Name',
        name: 'name',
        type: 'string',
        placeholder: 'order_update',
        validation: [{ type: 'regex', properties: { regex: '^[a-z0-9_]+$', errorMessage: 'Template names are lower case letters, digits and underscores' } }],
      },
    ],
  },
  {
    displayName: 'Language Name or ID',
    name: 'languageCode',
    type: 'options',
    required: true,
    default: '',
    description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
    typeOptions: { loadOptionsMethod: 'getTemplateLanguages', loadOptionsDependsOn: ['templateName.value'] },
    displayOptions: { show },
  },
  {
    displayName: 'Template Parameters',
    name: 'templateParameters',
    type: 'resourceMapper',
    noDataExpression: true,
    default: { mappingMode: 'defineBelow', value: null },
    required: true,
    description: 'The template\'s own variables (header, body, buttons), read from the template itself',
    typeOptions: {
      loadOptionsDependsOn: ['templateName.value', 'languageCode'],
      resourceMapper: {
        resourceMapperMethod: 'getTemplateParameters',
        mode: 'add',
        fieldWords: { singular: 'parameter', plural: 'parameters' },
        addAllFields: true,
        multiKeyMatch: false,
        supportAutoMap: false,
      },
    },
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  // One lookup per template and language per execution, shared by every item that uses it.
  const templates = new Map<string, Promise<MessageTemplate>>();
  return await sendEach(
    this,
    async (i, client) => {
      const name = this.getNodeParameter('templateName', i, '', { extractValue: true }) as string;
      const language = this.getNodeParameter('languageCode', i) as string;
      const key = `${name}|${language}`;
      if (!templates.has(key)) {
        const lookup = approvedTemplate(client.graph, wabaId, name, language);
        lookup.catch(() => templates.delete(key));
        templates.set(key, lookup);
      }
      const template = await templates.get(key)!;
      const mapped = this.getNodeParameter('templateParameters.value', i, {}) as IDataObject | null;
      const components = buildTemplateComponents(template, templateValues(mapped));
      return templateMessage(this.getNodeParameter('to', i) as string, name, language, (components.length ? components : undefined) as never, envelopeOptions(this, i));
    },
    readSendSettings(this),
  );
}
