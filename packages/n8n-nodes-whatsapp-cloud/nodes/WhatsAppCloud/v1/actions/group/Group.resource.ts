import type { INodeProperties } from 'n8n-workflow';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getInviteLink from './getInviteLink.operation';
import * as sendText from './sendText.operation';

export { create, get, getInviteLink, sendText };

const groupIdField: INodeProperties = {
  displayName: 'Group ID',
  name: 'groupId',
  type: 'string',
  required: true,
  default: '',
  description: 'The group ID from Create or the group webhooks',
  displayOptions: { show: { resource: ['group'], operation: ['get', 'getInviteLink', 'sendText'] } },
};

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['group'] } },
    options: [
      { name: 'Create', value: 'create', description: 'Create a group (Official Business Accounts only); users join by its invite link', action: 'Create a group' },
      { name: 'Get', value: 'get', description: 'Get a group with its participants', action: 'Get a group' },
      { name: 'Get Invite Link', value: 'getInviteLink', description: 'Get the group\'s invite link, or make a new one', action: 'Get a group invite link' },
      { name: 'Send Text', value: 'sendText', description: 'Send a text message to the group', action: 'Send a text message to a group' },
    ],
    default: 'create',
  },
  groupIdField,
  ...create.description,
  ...getInviteLink.description,
  ...sendText.description,
];
