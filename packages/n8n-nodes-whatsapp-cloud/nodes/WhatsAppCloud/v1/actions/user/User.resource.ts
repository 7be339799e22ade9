import type { INodeProperties } from 'n8n-workflow';
import * as block from './block.operation';
import * as forget from './forget.operation';
import * as list from './list.operation';
import * as unblock from './unblock.operation';

export { block, forget, list, unblock };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['user'] } },
    options: [
      { name: 'Block', value: 'block', description: 'Block users (only those who wrote in the last 24 hours)', action: 'Block users' },
      {
        name: 'Forget',
        value: 'forget',
        description: 'Remove every trace of users from the state store (windows, opt-outs, suppressions, seen events); nothing is sent to WhatsApp',
        action: 'Forget users',
      },
      { name: 'Get Many Blocked', value: 'list', description: 'List the blocked users (every page)', action: 'Get many blocked users' },
      { name: 'Unblock', value: 'unblock', description: 'Unblock users', action: 'Unblock users' },
    ],
    default: 'block',
  },
  {
    displayName: 'Users',
    name: 'users',
    type: 'string',
    required: true,
    default: '',
    placeholder: '+14155551234, +14155551235',
    description: 'Phone numbers with country code (or user IDs), comma-separated',
    displayOptions: { show: { resource: ['user'], operation: ['block', 'unblock', 'forget'] } },
  },
];
