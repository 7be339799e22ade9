/**
 * `@wa-cloud/sandbox`: a local WhatsApp Cloud API (Graph API) emulator for testing flows end to end.
 * It enforces Meta's rules independently of `@wa-cloud/core` (so it can catch that package's mistakes)
 * and sends signed webhooks back.
 *
 * @example
 * const sb = await startSandbox({ webhookUrl: 'http://127.0.0.1:5678/webhook/wa' });
 * // point the client at sb.url with token sb.accessToken and phone number ID sb.phoneNumberId
 * await sb.inbound({ from: '15551230001', text: 'hi' });
 * await sb.close();
 */
export { startSandbox, Sandbox } from './sandbox';
export { DEFAULT_TEMPLATES } from './templates';
export { signBody } from './webhooks';
export { ERROR_CATALOG } from './errors';
export type { SandboxFlow } from './flows';
export type { SandboxGroup } from './groups';
export type {
  SandboxOptions, FaultOptions, FaultKind, TemplateDefinition, TemplateComponent, MessageRecord, StatusRecord, WebhookError,
  RequestRecord, WebhookDelivery, InboundMessage, InboundRecord, Json, JsonObject, SendFailureRule, QualityRating,
} from './types';
