import {
  NodeConnectionTypes,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeBaseDescription,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import * as analytics from './actions/analytics/Analytics.resource';
import * as businessProfile from './actions/businessProfile/BusinessProfile.resource';
import * as flow from './actions/flow/Flow.resource';
import * as group from './actions/group/Group.resource';
import * as media from './actions/media/Media.resource';
import * as message from './actions/message/Message.resource';
import { sendAndWaitWebhooks, webhook as sendAndWaitWebhook } from './actions/message/sendAndWait.operation';
import * as phoneNumber from './actions/phoneNumber/PhoneNumber.resource';
import { router } from './actions/router';
import * as template from './actions/template/Template.resource';
import * as user from './actions/user/User.resource';
import * as webhook from './actions/webhook/Webhook.resource';
import { sharedStoreProperty } from '../../shared/sharedStore';
import { credentialTest, listSearch, loadOptions, resourceMapping } from './methods';

export class WhatsAppCloudV1 implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Cloud',
    name: 'whatsAppCloud',
    // Relative to this file in the source and to dist/nodes/WhatsAppCloud/ in the bundle (copied to both).
    icon: { light: 'file:../whatsapp-cloud.svg', dark: 'file:../whatsapp-cloud.dark.svg' },
    group: ['output'],
    version: 1,
    subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
    description: 'Send WhatsApp messages through the Cloud API: paced, window-aware, with errors explained',
    defaults: { name: 'WhatsApp Cloud' },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'whatsAppCloudApi', required: true, testedBy: 'whatsAppCloudApiTest' },
      // With Shared Store "Redis" (queue mode).
      { name: 'whatsAppCloudRedisApi', required: true, testedBy: 'whatsAppCloudRedisApiTest', displayOptions: { show: { sharedStore: ['redis'] } } },
    ],
    // n8n's waiting webhooks: Send and Wait resumes through them (called by the trigger with the answer).
    webhooks: sendAndWaitWebhooks,
    properties: [
      {
        displayName: 'Resource',
        name: 'resource',
        type: 'options',
        noDataExpression: true,
        options: [
          { name: 'Analytics', value: 'analytics' },
          { name: 'Business Profile', value: 'businessProfile' },
          { name: 'Flow', value: 'flow' },
          { name: 'Group', value: 'group' },
          { name: 'Media', value: 'media' },
          { name: 'Message', value: 'message' },
          { name: 'Phone Number', value: 'phoneNumber' },
          { name: 'Template', value: 'template' },
          { name: 'User', value: 'user' },
          { name: 'Webhook', value: 'webhook' },
        ],
        default: 'message',
      },
      ...message.description,
      ...flow.description,
      ...group.description,
      ...media.description,
      ...template.description,
      ...phoneNumber.description,
      ...businessProfile.description,
      ...analytics.description,
      ...user.description,
      ...webhook.description,
      sharedStoreProperty,
    ],
};

  constructor(baseDescription: INodeTypeBaseDescription) {
    this.description = { ...baseDescription, ...this.description };
  }

  methods = { credentialTest, listSearch, loadOptions, resourceMapping };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    return await sendAndWaitWebhook.call(this);
  }

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return await router.call(this);
  }
}
