import * as core from '@wa-cloud/core';
import { WhatsAppError, type GraphApi } from '@wa-cloud/core';
// Until core's public index exports them, the same functions from core's own modules (the bundle
// maps these paths to core's sources). Remove these imports once index.ts exports every name.
import * as coreDiagnose from '@wa-cloud/core/dist/diagnose';
import * as coreMedia from '@wa-cloud/core/dist/media';
import * as corePhoneNumbers from '@wa-cloud/core/dist/phone-numbers';
import * as coreSubscriptions from '@wa-cloud/core/dist/subscriptions';
import * as coreTemplates from '@wa-cloud/core/dist/templates';

const modules: unknown[] = [core, coreTemplates, coreMedia, corePhoneNumbers, coreSubscriptions, coreDiagnose];

/**
 * Core functions this adapter calls that `@wa-cloud/core`'s public index does not export yet
 * (they were being written in parallel). Each is resolved from the core namespace at call time,
 * so the adapter builds today and starts working the moment core exports the name; until then the
 * call fails with a clear error. Once core exports them, replace `pending('x')` with a direct import.
 */

/** A template as Graph returns it (core `MessageTemplate`). */
export interface TemplateInfo {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string;
  parameter_format?: string;
  components: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** One value a send of a template needs (core `TemplateParameterSpec`). */
export interface TemplateParameterSpec {
  key: string;
  component: 'header' | 'body' | 'button';
  index?: number;
  name?: string;
  position?: number;
  format: string;
  subType?: string;
  label?: string;
  example?: string;
  required: boolean;
}

/** Core `PhoneNumberInfo`: quality, status, throughput level, messaging limit, … */
export interface PhoneNumberInfo {
  id: string;
  displayPhoneNumber?: string;
  verifiedName?: string;
  raw: Record<string, unknown>;
  [key: string]: unknown;
}

/** Core `DiagnoseReport`. */
export interface DiagnoseReport {
  ok: boolean;
  checks: Array<{ id: string; title: string; status: string; seen: string; fix?: string }>;
}

interface PendingCore {
  listTemplates(graph: GraphApi, wabaId: string, options?: { status?: string; name?: string; language?: string; category?: string }): Promise<TemplateInfo[]>;
  findTemplate(graph: GraphApi, wabaId: string, name: string, language: string): Promise<TemplateInfo | undefined>;
  getTemplate(graph: GraphApi, templateId: string): Promise<TemplateInfo>;
  createTemplate(graph: GraphApi, wabaId: string, definition: Record<string, unknown>): Promise<Record<string, unknown>>;
  deleteTemplate(graph: GraphApi, wabaId: string, target: { name: string; id?: string }): Promise<boolean>;
  templateParameters(template: TemplateInfo): TemplateParameterSpec[];
  buildTemplateComponents(template: TemplateInfo, values: Record<string, unknown>): unknown[];
  uploadMedia(graph: GraphApi, phoneNumberId: string, input: { data: Buffer; mimeType: string; filename?: string }): Promise<{ id: string; kind: string; size: number }>;
  downloadMedia(
    graph: GraphApi,
    mediaId: string,
    options?: { phoneNumberId?: string; url?: string },
  ): Promise<{ data: Buffer; mimeType: string; sha256?: string; fileSize: number; filename?: string }>;
  deleteMedia(graph: GraphApi, mediaId: string, options?: { phoneNumberId?: string }): Promise<boolean>;
  getPhoneNumber(graph: GraphApi, phoneNumberId: string): Promise<PhoneNumberInfo>;
  diagnose(input: { graph: GraphApi; phoneNumberId: string; wabaId?: string }): Promise<DiagnoseReport>;
  subscribeApp(graph: GraphApi, wabaId: string, options?: { overrideCallbackUri?: string; verifyToken?: string }): Promise<boolean>;
  getPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string): Promise<{ phoneNumber?: string; whatsappBusinessAccount?: string; application?: string }>;
  setPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string, options: { callbackUri: string; verifyToken: string }): Promise<boolean>;
  clearPhoneNumberWebhook(graph: GraphApi, phoneNumberId: string): Promise<boolean>;
}

export type PendingName = keyof PendingCore;

/** The core function `name`, or a `core_function_missing` error when this core build lacks it. */
export function pending<K extends PendingName>(name: K): PendingCore[K] {
  const fn = modules.map((m) => (m as Partial<PendingCore>)[name]).find((f) => typeof f === 'function');
  if (typeof fn !== 'function') {
    throw new WhatsAppError(`This build of @wa-cloud/core has no ${name}()`, {
      code: 'core_function_missing',
      category: 'unknown',
      hint: 'Update the package: this operation needs a newer @wa-cloud/core.',
    });
  }
  return fn as PendingCore[K];
}

/** True when core exports `name` (used by tests to skip what core has not landed yet). */
export function hasCore(name: PendingName): boolean {
  return modules.some((m) => typeof (m as Record<string, unknown>)[name] === 'function');
}
