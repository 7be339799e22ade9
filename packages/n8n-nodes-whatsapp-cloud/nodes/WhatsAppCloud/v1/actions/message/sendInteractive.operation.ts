import { buttonsMessage, ctaUrlMessage, flowMessage, listMessage, locationRequestMessage } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { parseJsonObjectField } from '../../helpers/json-field';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendInteractive'] };
const when = (...types: string[]) => ({ show: { ...show, interactiveType: types } });

export const description: INodeProperties[] = [
  {
    displayName: 'Interactive Type',
    name: 'interactiveType',
    type: 'options',
    default: 'buttons',
    displayOptions: { show },
    options: [
      { name: 'Call-to-Action URL', value: 'ctaUrl', description: 'One button that opens a web page' },
      { name: 'Flow', value: 'flow', description: 'Opens a WhatsApp Flow' },
      { name: 'List', value: 'list', description: 'A button that opens a list of up to 10 rows' },
      { name: 'Location Request', value: 'locationRequest', description: 'Asks the user to share their location' },
      { name: 'Reply Buttons', value: 'buttons', description: 'Up to 3 buttons; the tapped button\'s ID comes back on the trigger' },
    ],
  },
  {
    displayName: 'Body',
    name: 'body',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 3 },
    description: 'Message text, up to 1024 characters',
    displayOptions: { show },
  },
  {
    displayName: 'Buttons',
    name: 'buttons',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Button',
    default: {},
    description: 'One to three buttons; IDs up to 256 characters and titles up to 20, both unique',
    displayOptions: when('buttons'),
    options: [
      {
        displayName: 'Button',
        name: 'button',
        values: [
          { displayName: 'ID', name: 'id', type: 'string', default: '', description: 'Comes back in the trigger item when tapped' },
          { displayName: 'Title', name: 'title', type: 'string', default: '' },
        ],
      },
    ],
  },
  {
    displayName: 'List Button Label',
    name: 'listButton',
    type: 'string',
    required: true,
    default: 'Choose',
    description: 'Label of the button that opens the list (up to 20 characters)',
    displayOptions: when('list'),
  },
  {
    displayName: 'Rows',
    name: 'rows',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Row',
    default: {},
    description: 'Up to 10 rows in all. Rows with the same section title are grouped; with more than one section every row needs one.',
    displayOptions: when('list'),
    options: [
      {
        displayName: 'Row',
        name: 'row',
        values: [
          { displayName: 'Description', name: 'description', type: 'string', default: '', description: 'Up to 72 characters' },
          { displayName: 'ID', name: 'id', type: 'string', default: '', description: 'Up to 200 characters; comes back in the trigger item' },
          { displayName: 'Section Title', name: 'section', type: 'string', default: '', description: 'Up to 24 characters' },
          { displayName: 'Title', name: 'title', type: 'string', default: '', description: 'Up to 24 characters' },
        ],
      },
    ],
  },
  {
    displayName: 'Button Text',
    name: 'displayText',
    type: 'string',
    required: true,
    default: '',
    description: 'Up to 20 characters',
    displayOptions: when('ctaUrl'),
  },
  {
    displayName: 'URL',
    name: 'url',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'https://example.com/order/123',
    displayOptions: when('ctaUrl'),
  },
  {
    displayName: 'Flow ID',
    name: 'flowId',
    type: 'string',
    required: true,
    default: '',
    displayOptions: when('flow'),
  },
  {
    displayName: 'Flow Button Text',
    name: 'flowCta',
    type: 'string',
    required: true,
    default: 'Open',
    description: 'Up to 30 characters',
    displayOptions: when('flow'),
  },
  {
    displayName: 'Interactive Options',
    name: 'interactiveOptions',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      {
        displayName: 'Flow Action',
        name: 'flowAction',
        type: 'options',
        default: 'navigate',
        displayOptions: { show: { '/interactiveType': ['flow'] } },
        options: [
          { name: 'Navigate', value: 'navigate' },
          { name: 'Data Exchange', value: 'data_exchange' },
        ],
      },
      {
        displayName: 'Flow Data (JSON)',
        name: 'flowData',
        type: 'json',
        default: '{}',
        description: 'Data for the first screen (navigate only)',
        displayOptions: { show: { '/interactiveType': ['flow'] } },
      },
      {
        displayName: 'Flow Mode',
        name: 'flowMode',
        type: 'options',
        default: 'published',
        displayOptions: { show: { '/interactiveType': ['flow'] } },
        options: [
          { name: 'Published', value: 'published' },
          { name: 'Draft', value: 'draft' },
        ],
      },
      {
        displayName: 'Flow Screen',
        name: 'flowScreen',
        type: 'string',
        default: '',
        description: 'First screen to show (navigate only)',
        displayOptions: { show: { '/interactiveType': ['flow'] } },
      },
      {
        displayName: 'Flow Token',
        name: 'flowSession',
        type: 'string',
        default: '',
        description: 'Identifies this flow session in your data-exchange endpoint',
        displayOptions: { show: { '/interactiveType': ['flow'] } },
      },
      {
        displayName: 'Footer',
        name: 'footer',
        type: 'string',
        default: '',
        description: 'Up to 60 characters',
        displayOptions: { show: { '/interactiveType': ['buttons', 'ctaUrl', 'flow', 'list'] } },
      },
      {
        displayName: 'Header Text',
        name: 'header',
        type: 'string',
        default: '',
        description: 'Up to 60 characters',
        displayOptions: { show: { '/interactiveType': ['buttons', 'ctaUrl', 'flow', 'list'] } },
      },
    ],
  },
];

type Row = { id?: string; title?: string; description?: string; section?: string };

/** Groups rows into sections by their section title, keeping the order of first appearance. */
function sections(rows: Row[]): Array<{ title?: string; rows: Array<{ id: string; title: string; description?: string }> }> {
  const grouped = new Map<string, Array<{ id: string; title: string; description?: string }>>();
  for (const row of rows) {
    const key = row.section ?? '';
    if (!grouped.has(key)) grouped.set(key, []);
    grouped.get(key)!.push({ id: row.id ?? '', title: row.title ?? '', ...(row.description ? { description: row.description } : {}) });
  }
  return [...grouped].map(([title, list]) => ({ ...(title ? { title } : {}), rows: list }));
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => {
      const to = this.getNodeParameter('to', i) as string;
      const type = this.getNodeParameter('interactiveType', i) as string;
      const body = this.getNodeParameter('body', i) as string;
      const extra = this.getNodeParameter('interactiveOptions', i, {}) as IDataObject;
      const envelope = envelopeOptions(this, i);
      const header = extra.header ? String(extra.header) : undefined;
      const footer = extra.footer ? String(extra.footer) : undefined;
      const decoration = { ...(header ? { header } : {}), ...(footer ? { footer } : {}) };
      switch (type) {
        case 'buttons': {
          const buttons = ((this.getNodeParameter('buttons', i, {}) as IDataObject).button as Array<{ id: string; title: string }>) ?? [];
          return buttonsMessage(to, { body, buttons, ...decoration }, envelope);
        }
        case 'list': {
          const rows = ((this.getNodeParameter('rows', i, {}) as IDataObject).row as Row[]) ?? [];
          return listMessage(to, { body, button: this.getNodeParameter('listButton', i) as string, sections: sections(rows), ...decoration }, envelope);
        }
        case 'ctaUrl':
          return ctaUrlMessage(
            to,
            { body, displayText: this.getNodeParameter('displayText', i) as string, url: this.getNodeParameter('url', i) as string, ...decoration },
            envelope,
          );
        case 'flow': {
          const data = parseJsonObjectField(this, i, 'Flow Data (JSON)', extra.flowData);
          const hasData = data !== undefined && Object.keys(data).length > 0;
          return flowMessage(
            to,
            {
              body,
              cta: this.getNodeParameter('flowCta', i) as string,
              flowId: this.getNodeParameter('flowId', i) as string,
              ...(extra.flowSession ? { flowToken: String(extra.flowSession) } : {}),
              ...(extra.flowMode ? { mode: extra.flowMode as 'draft' | 'published' } : {}),
              ...(extra.flowAction ? { flowAction: extra.flowAction as 'navigate' | 'data_exchange' } : {}),
              ...(extra.flowScreen ? { screen: String(extra.flowScreen) } : {}),
              ...(hasData ? { data } : {}),
              ...decoration,
            },
            envelope,
          );
        }
        case 'locationRequest':
          return locationRequestMessage(to, body, envelope);
        default:
          throw new NodeOperationError(this.getNode(), `Unknown interactive type "${type}"`, { itemIndex: i });
      }
    },
    readSendSettings(this),
  );
}
