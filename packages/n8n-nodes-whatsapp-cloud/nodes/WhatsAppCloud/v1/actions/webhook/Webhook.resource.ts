import type { INodeProperties } from 'n8n-workflow';
import * as clearOverride from './clearOverride.operation';
import * as setOverride from './setOverride.operation';
import * as subscribeApp from './subscribeApp.operation';

export { clearOverride, setOverride, subscribeApp };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['webhook'] } },
    options: [
      { name: 'Clear Phone Number Override', value: 'clearOverride', description: 'Send this number\'s webhooks to the app\'s URL again', action: 'Clear the phone number webhook override' },
      { name: 'Set Phone Number Override', value: 'setOverride', description: 'Send this number\'s webhooks to another URL', action: 'Set the phone number webhook override' },
      { name: 'Subscribe App to WABA', value: 'subscribeApp', description: 'Make the WABA\'s events reach your Meta app (needed once per WABA)', action: 'Subscribe the app to the WABA' },
    ],
    default: 'subscribeApp',
  },
  ...subscribeApp.description,
  ...setOverride.description,
  ...clearOverride.description,
];
