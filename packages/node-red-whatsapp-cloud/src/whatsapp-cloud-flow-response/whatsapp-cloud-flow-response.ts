/**
 * `whatsapp-cloud-flow-response`: answers the Flow request a `whatsapp-cloud-flow` node put out.
 * `msg.payload` is the answer as Meta documents it (`{ screen, data }`, or `{ data: { error_message } }`
 * to stay on the screen); in "complete" mode it is the completion parameters, sent back in the
 * chat's completion message with the flow token. `msg.invalidFlowToken` (text) answers 427, which
 * closes the Flow on the phone with that text. Encryption is core's (the request's key, flipped IV).
 */
import { completeFlowResponse, encryptFlowReply, isWhatsAppError } from '../lib/core';
import { take } from '../lib/flow-requests';
import { toNodeRedError } from '../lib/errors';
import type { Node, NodeAPI, NodeDef } from '../lib/node-red';

type Mode = 'screen' | 'complete';

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudFlowResponseNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const mode: Mode = def.mode === 'complete' ? 'complete' : 'screen';

    node.on('input', (msg, send, done) => {
      const waiting = take(msg.flowRequestId);
      if (!waiting) {
        node.status({ fill: 'red', shape: 'ring', text: 'no request to answer' });
        done(new Error('msg.flowRequestId: no Flow request waits for this msg (already answered, timed out after 10 s, or the msg did not come from a whatsapp-cloud-flow node)'));
        return;
      }
      try {
        const invalid = msg.invalidFlowToken;
        let answer: ReturnType<typeof encryptFlowReply>;
        let response: unknown;
        if (typeof invalid === 'string' && invalid.trim() !== '') {
          answer = encryptFlowReply(undefined, waiting.session, { invalidFlowToken: invalid });
        } else {
          const payload = msg.payload ?? {};
          if (mode === 'complete' && (typeof payload !== 'object' || Array.isArray(payload))) {
            throw new Error('msg.payload: the completion parameters must be an object');
          }
          response = mode === 'complete' ? completeFlowResponse(waiting.request.flowToken, payload as Record<string, unknown>) : payload;
          answer = encryptFlowReply(response, waiting.session);
        }
        waiting.res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' });
        waiting.res.end(answer.body);
        node.status({ fill: 'green', shape: 'dot', text: answer.status === 427 ? 'flow token refused (427)' : `answered ${(response as { screen?: string })?.screen ?? ''}`.trim() });
        send({ ...msg, statusCode: answer.status, flowResponse: response });
        done();
      } catch (error) {
        // A bad answer must not leave WhatsApp waiting: it gets a 500 and the phone shows an error.
        if (!waiting.res.headersSent) {
          waiting.res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          waiting.res.end('Invalid flow response');
        }
        node.status({ fill: 'red', shape: 'ring', text: isWhatsAppError(error) ? error.code : 'invalid response' });
        done(isWhatsAppError(error) ? toNodeRedError(error) : (error as Error));
      }
    });
  }

  RED.nodes.registerType('whatsapp-cloud-flow-response', WhatsAppCloudFlowResponseNode);
};
