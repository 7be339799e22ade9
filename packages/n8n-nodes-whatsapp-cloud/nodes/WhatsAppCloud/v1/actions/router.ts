import { NodeOperationError, SEND_AND_WAIT_OPERATION, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import * as analytics from './analytics/Analytics.resource';
import * as businessProfile from './businessProfile/BusinessProfile.resource';
import * as flow from './flow/Flow.resource';
import * as group from './group/Group.resource';
import * as media from './media/Media.resource';
import * as message from './message/Message.resource';
import type { WhatsAppCloudType } from './node.type';
import * as phoneNumber from './phoneNumber/PhoneNumber.resource';
import * as template from './template/Template.resource';
import * as user from './user/User.resource';
import * as webhook from './webhook/Webhook.resource';

type Operation = { execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> };

const RESOURCES: Record<string, Record<string, unknown>> = { analytics, businessProfile, flow, group, media, message, phoneNumber, template, user, webhook };

/** Dispatches to `actions/<resource>/<operation>.operation.ts`. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const resource = this.getNodeParameter<WhatsAppCloudType>('resource', 0);
  const operation = this.getNodeParameter('operation', 0) as string;
  const whatsAppCloud = { resource, operation } as WhatsAppCloudType;

  if (whatsAppCloud.resource === 'message' && whatsAppCloud.operation === SEND_AND_WAIT_OPERATION) {
    return await message.sendAndWait.execute.call(this);
  }
  const handler = RESOURCES[whatsAppCloud.resource]?.[whatsAppCloud.operation] as Operation | undefined;
  if (!handler || typeof handler.execute !== 'function') {
    throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
  }
  return [await handler.execute.call(this)];
}
