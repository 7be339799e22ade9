/**
 * `whatsapp-cloud-account`: the number's account operations, one per input msg, through the config
 * node's client (core does the work and the checks): health (quality rating, tier, advice), business
 * profile get/update, block/unblock users, register/deregister the number, forget a user (every
 * trace in the state store: windows, quality records, seen events), create templates (from a
 * definition or from Meta's template library), pricing and template analytics (one row per day and
 * category / template, as an array), and the delivery ledger's look-ups (get status by message
 * ID or reference, get many with filters, summary). The result goes out on
 * `msg.payload`; errors go to `done(err)` so Catch nodes see them. The status ring shows the number's
 * quality rating and tier, like the send node.
 */
import {
  MAX_LEDGER_QUERY_LIMIT,
  ValidationError,
  blockUsers,
  createTemplate,
  createTemplateFromLibrary,
  deleteTemplate,
  listTemplates,
  pricingAnalytics,
  templateAnalytics,
  type DeliveryRecord,
  type LedgerFilters,
  deregisterPhoneNumber,
  getBusinessProfile,
  getFlowPreview,
  createGroup,
  getGroup,
  getGroupInviteLink,
  sendToGroup,
  listBlockedUsers,
  listFlows,
  publishFlow,
  registerPhoneNumber,
  unblockUsers,
  updateBusinessProfile,
  type BusinessProfileUpdate,
  type LibraryTemplateDefinition,
  type TemplateDefinition,
} from '../lib/core';
import { statusText, toNodeRedError } from '../lib/errors';
import { idleStatus } from '../lib/quality';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, SendFn } from '../lib/node-red';
import type { ConfigNode } from '../lib/types';

const OPERATIONS = [
  'health',
  'getProfile',
  'updateProfile',
  'block',
  'unblock',
  'listBlocked',
  'register',
  'deregister',
  'forget',
  'listTemplates',
  'createTemplate',
  'deleteTemplate',
  'createTemplateFromLibrary',
  'pricingAnalytics',
  'templateAnalytics',
  'getStatus',
  'getMany',
  'summary',
  'listFlows',
  'flowPreview',
  'publishFlow',
  'createGroup',
  'groupInviteLink',
  'getGroup',
  'sendToGroup',
] as const;
/** Operations answered from the state store alone: no token, nothing sent to Meta. */
const LOCAL = new Set<Operation>(['forget', 'getStatus', 'getMany', 'summary']);
type Operation = (typeof OPERATIONS)[number];

interface AccountNode extends Node<{ pin: string }> {
  config?: ConfigNode;
  onQuality?(): void;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Users to block/unblock: `msg.users`, else `msg.payload` (one id, a comma-separated list, or an array). */
function usersOf(msg: NodeMessage): string[] {
  const raw = msg.users ?? msg.payload;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' || typeof raw === 'number' ? String(raw).split(',') : [];
  const users = list.map((u) => String(u).trim()).filter(Boolean);
  if (users.length === 0) throw new ValidationError('users', 'is required: give one or more phone numbers or user ids', 'Set msg.users (or msg.payload) to a number with country code, a list, or an array.');
  return users;
}

/** `msg.payload` as an object, or a ValidationError saying what it should hold. */
function payloadObject(msg: NodeMessage, what: string): Record<string, unknown> {
  if (!isObject(msg.payload)) throw new ValidationError('payload', `must be ${what}`, 'Set msg.payload to an object (a change or function node before this one).');
  return msg.payload;
}

/** Template filters from `msg.payload` (none: every template); unknown keys are refused, not ignored. */
const TEMPLATE_FILTERS = ['status', 'name', 'language', 'category'] as const;
function templateFilters(msg: NodeMessage): Record<string, string> {
  if (msg.payload === undefined || msg.payload === null || msg.payload === '' || typeof msg.payload === 'number') return {}; // an inject's timestamp
  if (!isObject(msg.payload)) throw new ValidationError('payload', 'must be the filters { status?, name?, language?, category? } or empty', 'Set msg.payload to e.g. { status: "APPROVED" }.');
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(msg.payload)) {
    if (!(TEMPLATE_FILTERS as readonly string[]).includes(key)) throw new ValidationError(`payload.${key}`, `is not a template filter (use ${TEMPLATE_FILTERS.join(', ')})`);
    if (typeof value !== 'string') throw new ValidationError(`payload.${key}`, 'must be text');
    if (value) filters[key] = value;
  }
  return filters;
}

/** The template to delete: `msg.payload` as its name, or `{ name, id? }` (the id deletes one language only). */
function templateTarget(msg: NodeMessage): { name: string; id?: string } {
  if (typeof msg.payload === 'string' && msg.payload.trim()) return { name: msg.payload.trim() };
  if (isObject(msg.payload) && typeof msg.payload.name === 'string' && msg.payload.name.trim()) {
    const id = msg.payload.id;
    return { name: msg.payload.name.trim(), ...(typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {}) };
  }
  throw new ValidationError('payload', 'must be the template name, or { name, id? } (with id, only that language is deleted)', 'Set msg.payload to the template name, e.g. "order_update".');
}

/** Templates and analytics belong to the WhatsApp Business Account. */
function wabaOf(cfg: ConfigNode): string {
  const wabaId = cfg.settings.wabaId;
  if (!wabaId) throw new ValidationError('wabaId', 'is not set on the config node', 'Add the WhatsApp Business Account ID to the config node: templates and analytics belong to the account.');
  return wabaId;
}

/** Ledger filters from `msg.filters` (or an object `msg.payload`): status, template, reference, recipient, since, until. */
function filtersOf(msg: NodeMessage): LedgerFilters & { limit?: number } {
  const raw = isObject(msg.filters) ? msg.filters : isObject(msg.payload) ? msg.payload : {};
  const text = (field: string) => {
    const value = raw[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new ValidationError(`filters.${field}`, `must be text, got ${typeof value}`, `Set msg.filters.${field} to a string.`);
    return value.trim();
  };
  const date = (field: string) => {
    const value = raw[field];
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
    if (Number.isNaN(parsed.getTime())) throw new ValidationError(`filters.${field}`, `"${String(value)}" is not a date`, 'Give an ISO date such as 2026-12-01T00:00:00Z or epoch milliseconds.');
    return parsed;
  };
  const filters: LedgerFilters & { limit?: number } = {};
  const status = raw.status;
  if (status !== undefined && status !== null && status !== '') filters.status = (Array.isArray(status) ? status : String(status).split(',')).map((s) => String(s).trim()).filter(Boolean);
  for (const field of ['template', 'reference', 'recipient'] as const) {
    const value = text(field);
    if (value) filters[field] = value;
  }
  const since = date('since');
  if (since) filters.since = since;
  const until = date('until');
  if (until) filters.until = until;
  const limit = raw.limit ?? msg.limit;
  if (limit !== undefined) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LEDGER_QUERY_LIMIT) {
      throw new ValidationError('limit', `${String(limit)} must be a whole number from 1 to ${MAX_LEDGER_QUERY_LIMIT}`, 'Set msg.limit (or msg.filters.limit) to how many messages to return.');
    }
    filters.limit = limit;
  }
  return filters;
}

/** A record with ISO dates, as the flow sees it. */
const plain = (record: DeliveryRecord) => JSON.parse(JSON.stringify(record)) as Record<string, unknown>;

/** The group to act on: `msg.groupId`. */
function groupIdOf(msg: NodeMessage): string {
  const id = typeof msg.groupId === 'string' ? msg.groupId.trim() : '';
  if (!id) throw new ValidationError('groupId', 'is required: the group ID (from create group or the group webhooks)', 'Set msg.groupId to the group ID.');
  return id;
}

/** The Flow to act on: `msg.flowId`, else `msg.payload` (the id as text). */
function flowIdOf(msg: NodeMessage): string {
  const raw = msg.flowId ?? msg.payload;
  const id = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : '';
  if (!id) throw new ValidationError('flowId', 'is required: the Flow ID (WhatsApp Manager → Flows, or the list flows operation)', 'Set msg.flowId (or msg.payload) to the Flow ID.');
  return id;
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudAccountNode(this: AccountNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const fixed = OPERATIONS.includes(def.operation as Operation) ? (def.operation as Operation) : 'health';
    node.config = RED.nodes.getNode(def.config as string) as ConfigNode | undefined;
    const config = node.config;
    let failed = false;

    node.onQuality = () => {
      if (!failed) node.status(idleStatus(undefined, config?.quality));
    };
    if (!config) node.status({ fill: 'red', shape: 'ring', text: 'no config node' });
    else config.register(node);

    /** One core call; what goes on msg.payload. */
    const perform = async (operation: Operation, msg: NodeMessage, cfg: ConfigNode): Promise<unknown> => {
      if (operation === 'forget') {
        // Local only: nothing is sent to Meta, so no token is needed. The store is the config
        // node's (embedded, memory or Redis); with an unusable Redis there is none to clean.
        if (!cfg.shared) throw cfg.configError;
        const users = usersOf(msg);
        return { users, ...(await cfg.shared.forgetUser(users)) };
      }
      if (operation === 'getStatus' || operation === 'getMany' || operation === 'summary') {
        if (!cfg.shared) throw cfg.configError;
        const ledger = cfg.shared.ledger;
        if (operation === 'getStatus') {
          // msg.messageId or msg.reference; a string payload is a wamid when it looks like one, else a reference.
          const payload = typeof msg.payload === 'string' ? msg.payload.trim() : undefined;
          const messageId = typeof msg.messageId === 'string' && msg.messageId ? msg.messageId : payload?.startsWith('wamid.') ? payload : undefined;
          const reference = typeof msg.reference === 'string' && msg.reference ? msg.reference : !messageId ? payload : undefined;
          if (!messageId && !reference) throw new ValidationError('reference', 'is required: give msg.reference (or msg.messageId)', 'Set msg.reference to the reference the message was sent with, or msg.messageId to its wamid.');
          const record = messageId ? await ledger.get(messageId) : await ledger.getByReference(reference!);
          msg.found = record !== undefined;
          return record ? plain(record) : null;
        }
        const { limit, ...filters } = filtersOf(msg);
        if (operation === 'getMany') return (await ledger.find(filters, limit ?? 100)).map(plain);
        return ledger.summary(filters);
      }
      const client = cfg.client!;
      const { graph, phoneNumberId } = client;
      switch (operation) {
        case 'health': {
          const snapshot = await cfg.track(client.health());
          await cfg.refreshQuality().catch(() => undefined); // the status ring shows what was just read
          return snapshot;
        }
        case 'getProfile':
          return cfg.track(getBusinessProfile(graph, phoneNumberId));
        case 'updateProfile':
          if (!isObject(msg.payload)) throw new ValidationError('payload', 'must be the profile fields to change (about, address, description, email, websites, vertical)', 'Set msg.payload to e.g. { about: "Open 9-5" }.');
          return cfg.track(updateBusinessProfile(graph, phoneNumberId, msg.payload as BusinessProfileUpdate));
        case 'block':
          return cfg.track(blockUsers(graph, phoneNumberId, usersOf(msg)));
        case 'unblock':
          return cfg.track(unblockUsers(graph, phoneNumberId, usersOf(msg)));
        case 'listBlocked':
          return { users: await cfg.track(listBlockedUsers(graph, phoneNumberId)) };
        case 'register': {
          const pin = (typeof msg.pin === 'string' || typeof msg.pin === 'number' ? String(msg.pin) : undefined) ?? node.credentials?.pin;
          if (!pin) throw new ValidationError('pin', 'is required to register the number', 'Set the two-step verification PIN on the node (a credential) or in msg.pin (6 digits).');
          return cfg.track(registerPhoneNumber(graph, phoneNumberId, { pin }));
        }
        case 'deregister':
          return cfg.track(deregisterPhoneNumber(graph, phoneNumberId));
        case 'listTemplates':
          return cfg.track(listTemplates(graph, wabaOf(cfg), templateFilters(msg)));
        case 'deleteTemplate': {
          const target = templateTarget(msg);
          return { ...target, deleted: await cfg.track(deleteTemplate(graph, wabaOf(cfg), target)) };
        }
        case 'createTemplate':
          return cfg.track(createTemplate(graph, wabaOf(cfg), payloadObject(msg, 'the template definition { name, language, category, components, message_send_ttl_seconds? }') as unknown as TemplateDefinition));
        case 'createTemplateFromLibrary':
          return cfg.track(createTemplateFromLibrary(graph, wabaOf(cfg), payloadObject(msg, '{ name, language, libraryTemplateName, buttonInputs?, bodyInputs? }') as unknown as LibraryTemplateDefinition));
        case 'pricingAnalytics': {
          const p = payloadObject(msg, '{ start, end, dimensions? } (dates as ISO text, e.g. 2026-03-01)');
          return cfg.track(pricingAnalytics(graph, wabaOf(cfg), p as never));
        }
        case 'templateAnalytics': {
          const p = payloadObject(msg, '{ start, end, templateIds? } (dates as ISO text; no templateIds: every approved template)');
          return cfg.track(templateAnalytics(graph, wabaOf(cfg), p as never));
        }
        case 'listFlows': {
          if (!client.wabaId) throw new ValidationError('wabaId', 'is required to list Flows', 'Fill in the WhatsApp Business Account ID in the config node.');
          return { flows: await cfg.track(listFlows(graph, client.wabaId)) };
        }
        case 'flowPreview':
          return cfg.track(getFlowPreview(graph, flowIdOf(msg), { invalidate: msg.invalidate === true }));
        case 'publishFlow':
          return cfg.track(publishFlow(graph, flowIdOf(msg)));
        case 'createGroup': {
          const p = payloadObject(msg, '{ subject, description?, joinApprovalMode? } (joinApprovalMode: auto_approve or approval_required)');
          return cfg.track(createGroup(graph, phoneNumberId, p as never));
        }
        case 'groupInviteLink':
          return cfg.track(getGroupInviteLink(graph, groupIdOf(msg), { reset: msg.reset === true }));
        case 'getGroup':
          return cfg.track(getGroup(graph, groupIdOf(msg)));
        case 'sendToGroup': {
          // A string is a text; an object is the message in Graph shape ({ type, [type]: … }).
          const message = typeof msg.payload === 'string' ? { type: 'text', text: { body: msg.payload } } : payloadObject(msg, 'the text, or a message { type, [type]: … } (text, media, template)');
          return cfg.track(sendToGroup(client, groupIdOf(msg), message));
        }
        default:
          throw new ValidationError('operation', `unknown operation ${operation}`, 'Pick an operation on the node.');
      }
    };

    node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      if (!config) {
        done(toNodeRedError(new ValidationError('config', 'no WhatsApp Cloud config node is selected', 'Open the node and pick or create a config node.')));
        return;
      }
      // A msg may choose the operation when the node is set to "from msg.operation".
      const operation = def.operation === 'msg' && OPERATIONS.includes(msg.operation as Operation) ? (msg.operation as Operation) : fixed;
      node.status({ fill: 'blue', shape: 'dot', text: operation });
      (async () => {
        try {
          if (def.operation === 'msg' && !OPERATIONS.includes(msg.operation as Operation)) {
            throw new ValidationError('operation', `must be one of ${OPERATIONS.join(', ')}`, 'Set msg.operation, or pick the operation on the node.');
          }
          if (!config.client && !LOCAL.has(operation)) throw config.configError;
          msg.payload = await perform(operation, msg, config);
          msg.operation = operation;
          failed = false;
          config.reportOk();
          node.status(idleStatus(operation === 'health' ? undefined : 'done', config.quality));
          send(msg);
          done();
        } catch (error) {
          failed = true;
          node.status({ fill: 'red', shape: 'ring', text: statusText(error) });
          config.report(error);
          done(toNodeRedError(error));
        }
      })();
    });

    node.on('close', (_removed, done) => {
      config?.deregister(node);
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('whatsapp-cloud-account', WhatsAppCloudAccountNode, { credentials: { pin: { type: 'password' } } });
};
