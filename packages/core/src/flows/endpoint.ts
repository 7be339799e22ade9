import type { KeyObject } from 'node:crypto';
import { ValidationError } from '../errors/error-classes';
import { isWhatsAppError } from '../errors/whatsapp-error';
import { verifySignature } from '../webhook/verify';
import { decryptFlowRequest, encryptFlowResponse, unwrapAesKey, type FlowCipherSession } from './crypto';
import { FlowEndpointError } from './errors';

/**
 * A Flow endpoint POST from start to answer, for both adapters: signature (432), size and shape
 * (400), decryption (421), then `ping` health checks and client error notifications answered here
 * without the workflow, and every other request handed on with what its answer needs.
 */

/** A decrypted data-exchange request (`INIT`, `BACK` or `data_exchange`), as the workflow gets it. */
export interface InboundFlowRequest {
  /** `INIT` (flow opened), `BACK` (back button on a screen with refresh_on_back) or `data_exchange` (a screen submitted). */
  action: string;
  /** The screen the request comes from (absent on INIT). */
  screen?: string;
  /** What the screen sent: form fields and payload (an empty object when none). */
  data: Record<string, unknown>;
  /** The `flow_token` given when the Flow message was sent: ties the request to your conversation. */
  flowToken?: string;
  /** Data API version of the request (e.g. "3.0"). */
  version?: string;
}

/**
 * What the response encryption needs, in a form that may be stored (n8n execution data): the
 * request's RSA-wrapped AES key and its IV, both as WhatsApp sent them. Only the private key opens
 * it, so it is no secret by itself.
 */
export interface FlowSessionToken {
  encryptedAesKey: string;
  initialVector: string;
}

/** An answer the endpoint gives by itself. */
export interface FlowEndpointReply {
  type: 'reply';
  /** Why: `ping`, `error_notification` (acknowledged) or `refused` (status ≥ 400). */
  kind: 'ping' | 'error_notification' | 'refused';
  status: number;
  contentType: 'text/plain';
  body: string;
  /** The refusal, for the adapter's log and status (its message names no secret). */
  error?: FlowEndpointError;
  /** The client error WhatsApp reported (`data.error`, `data.error_message`), for error notifications. */
  notification?: { flowToken?: string; error?: string; errorMessage?: string; screen?: string };
}

/** A request for the workflow to answer with {@link encryptFlowReply}. */
export interface FlowEndpointRequest {
  type: 'request';
  request: InboundFlowRequest;
  session: FlowCipherSession;
  sessionToken: FlowSessionToken;
}

export interface FlowEndpointInput {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** The app secret that signs `X-Hub-Signature-256`. Required: without it every request is refused (432). */
  appSecret: string | undefined;
  /** The loaded private key ({@link loadFlowPrivateKey}), or the error loading it gave. */
  privateKey: KeyObject | FlowEndpointError;
}

/** Flow requests are small (screen data); anything larger is not one. @default 1 MB */
export const MAX_FLOW_REQUEST_BYTES = 1024 * 1024;

function header(headers: FlowEndpointInput['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function refused(error: FlowEndpointError): FlowEndpointReply {
  return { type: 'reply', kind: 'refused', status: error.status, contentType: 'text/plain', body: '', error };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Takes one Flow endpoint POST. Never throws: a refusal is a reply with its status (432 bad
 * signature, 400 not a Flow request, 421 cannot decrypt, 500 no usable private key).
 * @example
 * const result = handleFlowEndpointPost({ rawBody, headers: req.headers, appSecret, privateKey });
 * if (result.type === 'reply') return res.status(result.status).type('text/plain').send(result.body);
 * const answer = encryptFlowReply({ screen: 'NEXT', data: {} }, result.session);
 */
export function handleFlowEndpointPost(input: FlowEndpointInput): FlowEndpointReply | FlowEndpointRequest {
  if (!input.appSecret || !verifySignature(input.rawBody, header(input.headers, 'x-hub-signature-256'), input.appSecret)) {
    return refused(
      new FlowEndpointError(input.appSecret ? 'X-Hub-Signature-256 does not match the app secret' : 'no app secret is configured, so no request can be verified', {
        code: 'flow_signature_invalid',
        status: 432,
        hint: 'Put the App Secret of the Meta app that owns the Flow (App settings → Basic) in the credentials.',
      }),
    );
  }
  if (input.rawBody.length > MAX_FLOW_REQUEST_BYTES) {
    return refused(new FlowEndpointError(`request body is ${input.rawBody.length} bytes, the limit is ${MAX_FLOW_REQUEST_BYTES}`, { code: 'flow_request_invalid', status: 413, hint: 'Only WhatsApp Flow requests are accepted here.' }));
  }
  if (input.privateKey instanceof Error) return refused(input.privateKey);
  let body: unknown;
  try {
    body = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return refused(new FlowEndpointError('the request body is not JSON', { code: 'flow_request_invalid', status: 400, hint: 'Only WhatsApp Flow requests are accepted here.' }));
  }
  let decrypted: ReturnType<typeof decryptFlowRequest>;
  try {
    decrypted = decryptFlowRequest(body, input.privateKey);
  } catch (error) {
    return refused(isWhatsAppError(error) ? (error as FlowEndpointError) : new FlowEndpointError(String(error), { code: 'flow_decrypt_failed', status: 421, hint: 'Check the private key.' }));
  }
  const plain = (decrypted.request && typeof decrypted.request === 'object' ? decrypted.request : {}) as Record<string, unknown>;
  const data = plain.data && typeof plain.data === 'object' && !Array.isArray(plain.data) ? (plain.data as Record<string, unknown>) : {};
  const action = str(plain.action) ?? '';
  const answer = (kind: FlowEndpointReply['kind'], response: unknown, notification?: FlowEndpointReply['notification']): FlowEndpointReply => ({
    type: 'reply',
    kind,
    status: 200,
    contentType: 'text/plain',
    body: encryptFlowResponse(response, decrypted.session),
    ...(notification ? { notification } : {}),
  });
  if (action === 'ping') return answer('ping', { data: { status: 'active' } });
  // Error notifications: WhatsApp reports that the client could not use an earlier answer.
  if (data.error !== undefined) {
    return answer('error_notification', { data: { acknowledged: true } }, {
      flowToken: str(plain.flow_token),
      error: str(data.error),
      errorMessage: str(data.error_message),
      screen: str(plain.screen),
    });
  }
  const fields = body as Record<string, string>;
  return {
    type: 'request',
    request: {
      action,
      ...(str(plain.screen) ? { screen: str(plain.screen) } : {}),
      data,
      ...(str(plain.flow_token) ? { flowToken: str(plain.flow_token) } : {}),
      ...(str(plain.version) ? { version: str(plain.version) } : {}),
    },
    session: decrypted.session,
    sessionToken: { encryptedAesKey: fields.encrypted_aes_key!, initialVector: fields.initial_vector! },
  };
}

/**
 * Rebuilds the cipher session from a stored {@link FlowSessionToken} with the private key.
 * @throws ValidationError when the token is not one this endpoint produced
 */
export function flowSessionFromToken(token: unknown, privateKey: KeyObject): FlowCipherSession {
  const value = token as Partial<FlowSessionToken> | undefined;
  if (!value || typeof value.encryptedAesKey !== 'string' || typeof value.initialVector !== 'string') {
    throw new ValidationError(
      'flowSession',
      'missing: the item does not come from a WhatsApp Flow Endpoint request',
      'Answer a Flow request in a workflow started by the WhatsApp Flow Endpoint Trigger (its output carries flowSession).',
    );
  }
  return { aesKey: unwrapAesKey(Buffer.from(value.encryptedAesKey, 'base64'), privateKey), initialVector: Buffer.from(value.initialVector, 'base64') };
}

/** What a workflow answers a Flow request with. */
export interface OutboundFlowResponse {
  /** The next screen's id (for `SUCCESS`-style completion see {@link completeFlowResponse}). */
  screen?: string;
  /** The next screen's data, or `error_message` to show on the current screen. */
  data?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The response that closes the Flow and sends the completion message to the chat (its `nfm_reply`
 * webhook carries `params`).
 * @example
 * completeFlowResponse(request.flowToken, { booking_id: 'B-17' })
 */
export function completeFlowResponse(flowToken: string | undefined, params: Record<string, unknown> = {}): OutboundFlowResponse {
  return { screen: 'SUCCESS', data: { extension_message_response: { params: { ...(flowToken ? { flow_token: flowToken } : {}), ...params } } } };
}

/** Checks a response before it is encrypted; names the field. */
export function validateFlowResponse(response: unknown): OutboundFlowResponse {
  if (!response || typeof response !== 'object' || Array.isArray(response)) {
    throw new ValidationError('flowResponse', 'must be an object like { "screen": "NEXT_SCREEN", "data": { … } }');
  }
  const value = response as OutboundFlowResponse;
  if (value.screen !== undefined && (typeof value.screen !== 'string' || value.screen.trim() === '')) {
    throw new ValidationError('flowResponse.screen', 'must be the id of a screen of the Flow (text)');
  }
  if (value.data === undefined || value.data === null || typeof value.data !== 'object' || Array.isArray(value.data)) {
    throw new ValidationError('flowResponse.data', 'must be an object (use {} for a screen without data)');
  }
  if (value.screen === undefined && value.data.error_message === undefined && value.data.acknowledged === undefined) {
    throw new ValidationError('flowResponse.screen', 'missing: give the next screen, or data.error_message to stay on the current one');
  }
  return value;
}

/**
 * The encrypted answer to a Flow request: status 200 and the base64 body, or with
 * `invalidFlowToken` status 427 and `{ error_msg }`, which closes the Flow on the phone with that
 * message (the flow token expired or is unknown).
 */
export function encryptFlowReply(
  response: unknown,
  session: FlowCipherSession,
  options: { invalidFlowToken?: string } = {},
): { status: number; contentType: 'text/plain'; body: string } {
  if (options.invalidFlowToken !== undefined) {
    return { status: 427, contentType: 'text/plain', body: encryptFlowResponse({ error_msg: options.invalidFlowToken }, session) };
  }
  return { status: 200, contentType: 'text/plain', body: encryptFlowResponse(validateFlowResponse(response), session) };
}
