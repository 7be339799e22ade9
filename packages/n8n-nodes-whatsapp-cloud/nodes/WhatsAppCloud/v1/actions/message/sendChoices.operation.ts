import { choicesMessage } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendChoices'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Prompt',
    name: 'prompt',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 2 },
    description: 'The question, up to 1024 characters',
    displayOptions: { show },
  },
  {
    displayName: 'Choices',
    name: 'choices',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Choice',
    default: {},
    description: 'One to 10 choices: up to 3 are sent as reply buttons, 4 to 10 as a list. Too many, or a title too long, is an error naming the field; nothing is cut off.',
    displayOptions: { show },
    options: [
      {
        displayName: 'Choice',
        name: 'choice',
        values: [
          { displayName: 'Description', name: 'description', type: 'string', default: '', description: 'Lists only (4 or more choices), up to 72 characters' },
          { displayName: 'ID', name: 'id', type: 'string', default: '', description: 'Comes back in the trigger item when chosen' },
          { displayName: 'Title', name: 'title', type: 'string', default: '', description: 'Up to 20 characters for buttons, 24 in a list' },
        ],
      },
    ],
  },
  {
    displayName: 'Choices Options',
    name: 'choicesOptions',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Footer', name: 'footer', type: 'string', default: '', description: 'Up to 60 characters' },
      { displayName: 'Header Text', name: 'header', type: 'string', default: '', description: 'Up to 60 characters' },
      { displayName: 'List Button Label', name: 'button', type: 'string', default: 'Choose', description: 'Label of the button that opens a list (4 or more choices)' },
    ],
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => {
      const raw = ((this.getNodeParameter('choices', i, {}) as IDataObject).choice as Array<{ id: string; title: string; description?: string }>) ?? [];
      const extra = this.getNodeParameter('choicesOptions', i, {}) as IDataObject;
      const options = raw.map((c) => ({ id: c.id, title: c.title, ...(c.description ? { description: c.description } : {}) }));
      return choicesMessage(
        this.getNodeParameter('to', i) as string,
        {
          prompt: this.getNodeParameter('prompt', i) as string,
          options,
          ...(extra.button ? { button: String(extra.button) } : {}),
          ...(extra.header ? { header: String(extra.header) } : {}),
          ...(extra.footer ? { footer: String(extra.footer) } : {}),
        },
        envelopeOptions(this, i),
      );
    },
    readSendSettings(this),
  );
}
