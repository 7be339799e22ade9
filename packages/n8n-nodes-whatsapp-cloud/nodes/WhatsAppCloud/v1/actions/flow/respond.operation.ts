import { completeFlowResponse, encryptFlowReply, flowSessionFromToken, ValidationError } from '@wa-cloud/core';
import { jsonParse, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { flowPrivateKeyOf, getCredentials, toNodeError } from '../../../transport';

// No field below is `required` in n8n's sense: "Respond With" may be an expression, which makes n8n
// treat every field as shown (and an empty hidden one as an issue); execute() checks what it uses.
const show = { resource: ['flow'], operation: ['respond'] };
const TRIGGER_TYPE = 'whatsAppFlowEndpointTrigger';

export const description: INodeProperties[] = [
  {
    displayName:
      'Answers the request of the WhatsApp Flow Endpoint Trigger that started this workflow (once, from the first item); the items pass through unchanged.',
    name: 'respondNotice',
    type: 'notice',
    default: '',
    displayOptions: { show },
  },
  {
    displayName: 'Respond With',
    name: 'responseType',
    type: 'options',
    default: 'nextScreen',
    displayOptions: { show },
    options: [
      { name: 'Complete the Flow', value: 'complete', description: 'Close the Flow; the chat gets the completion message with these parameters' },
      { name: 'Error on Current Screen', value: 'error', description: 'Stay on the screen and show a message (data.error_message)' },
      { name: 'Flow Token No Longer Valid', value: 'invalidToken', description: 'Answer 427: the Flow closes on the phone with your message' },
      { name: 'JSON', value: 'json', description: 'The whole response object as Meta documents it' },
      { name: 'Next Screen', value: 'nextScreen', description: 'Show a screen of the Flow with its data' },
    ],
  },
  {
    displayName: 'Screen',
    name: 'screen',
    type: 'string',
    default: '',
    placeholder: 'APPOINTMENT',
    description: 'ID of the screen to show (as in the Flow JSON)',
    displayOptions: { show: { ...show, responseType: ['nextScreen'] } },
  },
  {
    displayName: 'Screen Data',
    name: 'screenData',
    type: 'json',
    default: '{}',
    description: 'The data the screen declares (its "data" section)',
    displayOptions: { show: { ...show, responseType: ['nextScreen'] } },
  },
  {
    displayName: 'Error Message',
    name: 'errorMessage',
    type: 'string',
    default: '',
    placeholder: 'This slot was just taken, please pick another',
    displayOptions: { show: { ...show, responseType: ['error'] } },
  },
  {
    displayName: 'Completion Parameters',
    name: 'completionParams',
    type: 'json',
    default: '{}',
    description: 'Sent back in the completion message (nfm_reply response_json), with the flow_token added',
    displayOptions: { show: { ...show, responseType: ['complete'] } },
  },
  {
    displayName: 'Message',
    name: 'closingMessage',
    type: 'string',
    default: 'This form is no longer available',
    displayOptions: { show: { ...show, responseType: ['invalidToken'] } },
  },
  {
    displayName: 'Response',
    name: 'responseJson',
    type: 'json',
    default: '{\n  "screen": "",\n  "data": {}\n}',
    displayOptions: { show: { ...show, responseType: ['json'] } },
  },
];

function objectParam(ctx: IExecuteFunctions, name: string): IDataObject {
  const value = ctx.getNodeParameter(name, 0) as unknown;
  const parsed = typeof value === 'string' ? jsonParse<unknown>(value || '{}', { errorMessage: `${name}: not valid JSON` }) : value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ValidationError(name, 'must be a JSON object');
  return parsed as IDataObject;
}

/** The request being answered: the first item's, or the trigger's output when the item lost it. */
function flowRequest(ctx: IExecuteFunctions, items: INodeExecutionData[]): IDataObject {
  const first = items[0]?.json;
  if (first && typeof first.flowSession === 'object') return first;
  const trigger = ctx.getParentNodes(ctx.getNode().name).find((node) => node.type.endsWith(`.${TRIGGER_TYPE}`));
  if (trigger) {
    const proxy = ctx.getWorkflowDataProxy(0) as unknown as { $: (name: string) => { first(): INodeExecutionData | undefined } };
    const json = proxy.$(trigger.name).first()?.json;
    if (json && typeof json.flowSession === 'object') return json;
  }
  throw new ValidationError(
    'flowSession',
    'no WhatsApp Flow request to answer',
    'Use Respond to Flow Request in a workflow started by the WhatsApp Flow Endpoint Trigger.',
  );
}

/**
 * Encrypts the answer with the request's key (unwrapped again with the credential's private key)
 * and hands it to n8n, which sends it as the trigger's HTTP response (text/plain, base64).
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const items = this.getInputData();
  try {
    const request = flowRequest(this, items);
    const privateKey = flowPrivateKeyOf(await getCredentials(this));
    if (privateKey instanceof Error) throw privateKey;
    const session = flowSessionFromToken(request.flowSession, privateKey);
    const type = this.getNodeParameter('responseType', 0) as string;
    const flowToken = typeof request.flowToken === 'string' ? request.flowToken : undefined;
    let response: IDataObject | undefined;
    let reply: ReturnType<typeof encryptFlowReply>;
    if (type === 'invalidToken') {
      reply = encryptFlowReply(undefined, session, { invalidFlowToken: this.getNodeParameter('closingMessage', 0) as string });
    } else {
      if (type === 'nextScreen') response = { screen: this.getNodeParameter('screen', 0) as string, data: objectParam(this, 'screenData') };
      else if (type === 'error') {
        const message = (this.getNodeParameter('errorMessage', 0) as string).trim();
        if (!message) throw new ValidationError('errorMessage', 'must not be empty');
        response = { ...(typeof request.screen === 'string' ? { screen: request.screen } : {}), data: { error_message: message } };
      } else if (type === 'complete') response = completeFlowResponse(flowToken, objectParam(this, 'completionParams')) as IDataObject;
      else response = objectParam(this, 'responseJson');
      reply = encryptFlowReply(response, session);
    }
    this.sendResponse({ body: Buffer.from(reply.body, 'utf8'), headers: { 'content-type': reply.contentType }, statusCode: reply.status });
    return items.map((item, i) => ({
      ...item,
      json: i === 0 ? { ...item.json, flowResponse: response ?? { status: reply.status } } : item.json,
      pairedItem: { item: i },
    }));
  } catch (error) {
    throw toNodeError(this.getNode(), error, 0);
  }
}
