import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as createFromLibrary from './createFromLibrary.operation';
import * as deleteTemplate from './delete.operation';
import * as get from './get.operation';
import * as list from './list.operation';

export { create, createFromLibrary, deleteTemplate as delete, get, list };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['template'] } },
    options: [
      { name: 'Create', value: 'create', description: 'Submit a new template for review (checked against Meta\'s rules first)', action: 'Create a template' },
      { name: 'Create From Library', value: 'createFromLibrary', description: 'Create a ready-made utility template from Meta\'s template library (approved at once)', action: 'Create a template from the library' },
      { name: 'Delete', value: 'delete', description: 'Delete a template', action: 'Delete a template' },
      { name: 'Get', value: 'get', description: 'Get a template and the parameters a send needs', action: 'Get a template' },
      { name: 'Get Many', value: 'list', description: 'List templates (every page)', action: 'Get many templates' },
    ],
    default: 'list',
  },
  ...list.description,
  ...get.description,
  ...create.description,
  ...createFromLibrary.description,
  ...deleteTemplate.description,
];
