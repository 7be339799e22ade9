import { buttonsMessage, normalizeRecipient } from '@wa-cloud/core';
import {
  NodeOperationError,
  WAIT_INDEFINITELY,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeProperties,
  type IWebhookDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import { choiceId, MAX_WAIT_MS, registerQuestion, registerSharedQuestion, registerStoredQuestion, type WaitingQuestion } from '../../../../shared/waiting';
import { createClient, executionStore, getCredentials, toNodeError } from '../../../transport';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendAndWait'] };

/**
 * n8n's waiting webhooks (as in its own send-and-wait nodes): `restartWebhook` endpoints under
 * /webhook-waiting/<executionId>/<nodeId>, served by n8n for a waiting execution only. Nothing is
 * registered with Meta for them.
 */
export const sendAndWaitWebhooks: IWebhookDescription[] = [
  { name: 'default', httpMethod: 'GET', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
  { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
];

export const description: INodeProperties[] = [
  {
    displayName: 'Message',
    name: 'message',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 3 },
    description: 'The question, up to 1024 characters. It is sent with native reply buttons; the workflow continues with the answer.',
    displayOptions: { show },
  },
  {
    displayName: 'Answers',
    name: 'answers',
    type: 'fixedCollection',
    typeOptions: { multipleValues: true },
    placeholder: 'Add Answer',
    default: { answer: [{ title: 'Yes' }, { title: 'No' }] },
    description: 'One to three answers, shown as reply buttons (titles up to 20 characters). The answer arrives through a WhatsApp Cloud Trigger on this phone number; in queue mode both need Shared Store set to Redis.',
    displayOptions: { show },
    options: [
      {
        displayName: 'Answer',
        name: 'answer',
        values: [
          { displayName: 'Title', name: 'title', type: 'string', default: '' },
          { displayName: 'Value', name: 'value', type: 'string', default: '', description: 'Returned as choiceValue (the title when empty)' },
        ],
      },
    ],
  },
  {
    displayName: 'Limit Wait Time',
    name: 'limitWaitTime',
    type: 'boolean',
    default: false,
    description: 'Whether to continue without an answer after some time',
    displayOptions: { show },
  },
  {
    displayName: 'Wait Hours',
    name: 'waitHours',
    type: 'number',
    default: 24,
    typeOptions: { minValue: 0.01 },
    description: 'Hours to wait for the answer before the workflow continues without one',
    displayOptions: { show: { ...show, limitWaitTime: [true] } },
  },
];

/** The id an answer from `to` carries: phone number digits, or the BSUID as given. */
function answererId(to: string): string | undefined {
  try {
    const recipient = normalizeRecipient(to);
    return recipient.kind === 'bsuid' ? recipient.to : recipient.to.replace(/\D/g, '');
  } catch {
    return undefined; // the send itself reports the bad recipient
  }
}

/**
 * Sends the question to the first item's recipient and puts the execution to wait. The reply
 * buttons' ids (and, when the window is closed, the fallback template's quick-reply payloads)
 * carry a token the trigger maps back to this execution's signed resume URL.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const to = this.getNodeParameter('to', 0) as string;
  const body = this.getNodeParameter('message', 0) as string;
  const answers = ((this.getNodeParameter('answers', 0, {}) as IDataObject).answer as Array<{ title: string; value?: string }>) ?? [];
  if (answers.length === 0 || answers.length > 3) {
    throw new NodeOperationError(this.getNode(), `answers: ${answers.length} answers, give 1 to 3`, {
      description: 'Reply buttons hold 1 to 3 answers; use Send Choices and a trigger for longer lists.',
    });
  }
  const limit = this.getNodeParameter('limitWaitTime', 0, false) as boolean;
  const waitMs = limit ? (this.getNodeParameter('waitHours', 0, 24) as number) * 3600_000 : MAX_WAIT_MS;
  const credentials = await getCredentials(this);
  const shared = await executionStore(this);
  const question: WaitingQuestion = {
    resumeUrl: this.getSignedResumeUrl(),
    choices: answers.map((a) => ({ id: a.value || a.title, title: a.title })),
    phoneNumberId: credentials.phoneNumberId,
    // Only the asked user's answer resumes this execution.
    recipient: answererId(to),
    expiresAt: Date.now() + waitMs,
  };
  let token: string;
  try {
    token = shared.redis
      ? await registerSharedQuestion(shared.redis, question)
      : shared.database && !shared.problem
        ? // In the file, so an answer after a restart still resumes; in memory if the file fails now.
          await registerStoredQuestion(shared, question).catch(() => registerQuestion(question))
        : registerQuestion(question);
  } catch (error) {
    throw toNodeError(this.getNode(), error, 0);
  }
  const quickReplies = answers.map((_a, index) => ({
    type: 'button',
    sub_type: 'quick_reply',
    index: String(index),
    parameters: [{ type: 'payload', payload: choiceId(token, index) }],
  }));
  const client = createClient(credentials, readSendSettings(this, quickReplies), shared);
  try {
    const message = buttonsMessage(
      to,
      { body, buttons: answers.map((a, index) => ({ id: choiceId(token, index), title: a.title })) },
      envelopeOptions(this, 0),
    );
    await client.send(message);
  } catch (error) {
    throw toNodeError(this.getNode(), error, 0);
  } finally {
    await client.close();
  }
  await this.putExecutionToWait(limit ? new Date(Date.now() + waitMs) : WAIT_INDEFINITELY);
  return [this.getInputData()];
}

/** The resume webhook: the trigger POSTs the answer here; anything else is ignored. */
export async function webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
  const request = this.getRequestObject();
  if (request.method !== 'POST') {
    this.getResponseObject().status(204).end();
    return { noWebhookResponse: true };
  }
  const answer = this.getBodyData();
  return {
    webhookResponse: { ok: true },
    workflowData: [[{ json: { ...answer, respondedAt: new Date().toISOString() } }]],
  };
}
