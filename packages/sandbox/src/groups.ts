/**
 * The Groups API as the sandbox plays it: `POST /{phone}/groups` (Official Business Accounts only:
 * code 10 otherwise), `GET /{group}` (subject, participants…), `GET|POST /{group}/invite_link`, and
 * messages with `recipient_type: "group"` (text, media, templates; a group must exist). Users join
 * with {@link Sandbox.joinGroup} (Meta: by the invite link). State lives per sandbox.
 */
import { fieldsOf, params, type Ctx, type RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, invalidParam, missingParam } from './errors';
import type { JsonObject } from './types';

export interface SandboxGroup {
  id: string;
  subject: string;
  description?: string;
  join_approval_mode: string;
  creation_timestamp: number;
  inviteLink: string;
  participants: string[];
  /** Messages sent to the group, in order (the Graph body as received). */
  messages: Array<{ id: string; body: JsonObject }>;
}

interface GroupState {
  officialBusinessAccount: boolean;
  groups: Map<string, SandboxGroup>;
  counter: number;
}

const state = new WeakMap<Engine, GroupState>();

export function groupStateOf(engine: Engine): GroupState {
  let s = state.get(engine);
  if (!s) {
    s = { officialBusinessAccount: false, groups: new Map(), counter: 0 };
    state.set(engine, s);
  }
  return s;
}

const GROUP_TYPES = new Set(['text', 'image', 'video', 'audio', 'document', 'template']);

function notEligible(): GraphError {
  return new GraphError(10, 'The Groups API is available to Official Business Accounts only.', { http: 403, message: '(#10) Application does not have permission for this action' });
}

function inviteLink(engine: Engine): string {
  return `https://chat.whatsapp.com/SANDBOX${engine.ids.numeric('8').slice(-10)}`;
}

/** `POST /{phone}/groups`. */
export function createGroup(ctx: Ctx): RouteResult {
  const s = groupStateOf(ctx.engine);
  if (!s.officialBusinessAccount) throw notEligible();
  const p = params(ctx);
  if (p.messaging_product !== 'whatsapp') throw invalidParam("Param messaging_product must be 'whatsapp'");
  if (typeof p.subject !== 'string' || !p.subject.trim()) throw missingParam('subject');
  if (p.subject.trim().length > 128) throw invalidParam('Param subject must be at most 128 characters long');
  if (p.description !== undefined && (typeof p.description !== 'string' || p.description.length > 2048)) throw invalidParam('Param description must be at most 2048 characters long');
  const mode = p.join_approval_mode ?? 'auto_approve';
  if (mode !== 'auto_approve' && mode !== 'approval_required') throw invalidParam('Param join_approval_mode must be one of {auto_approve, approval_required}');
  s.counter += 1;
  const id = Buffer.from(`capi_group:${ctx.engine.o.phoneNumberId}:${s.counter}`).toString('base64').replace(/=+$/, '');
  s.groups.set(id, {
    id,
    subject: p.subject.trim(),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    join_approval_mode: String(mode),
    creation_timestamp: Math.floor(ctx.engine.o.now() / 1000),
    inviteLink: inviteLink(ctx.engine),
    participants: [],
    messages: [],
  });
  return { id, request_id: `sandbox-group-request-${s.counter}` };
}

/** `GET /{group}`. */
export function getGroup(ctx: Ctx, group: SandboxGroup): RouteResult {
  const all: JsonObject = {
    id: group.id,
    messaging_product: 'whatsapp',
    subject: group.subject,
    ...(group.description !== undefined ? { description: group.description } : {}),
    join_approval_mode: group.join_approval_mode,
    suspended: false,
    creation_timestamp: group.creation_timestamp,
    participants: group.participants.map((wa_id) => ({ wa_id })),
    total_participant_count: group.participants.length,
  };
  const fields = fieldsOf(ctx);
  if (!fields) return all;
  const out: JsonObject = { id: group.id };
  for (const f of fields) if (f in all) out[f] = all[f];
  return out;
}

/** `GET /{group}/invite_link`, `POST` makes a new one. */
export function groupInviteLink(ctx: Ctx, group: SandboxGroup): RouteResult {
  if (ctx.method === 'POST') group.inviteLink = inviteLink(ctx.engine);
  return { messaging_product: 'whatsapp', invite_link: group.inviteLink };
}

/** `POST /{phone}/messages` with `recipient_type: "group"`. */
export function postGroupMessage(ctx: Ctx): RouteResult {
  const s = groupStateOf(ctx.engine);
  if (!s.officialBusinessAccount) throw notEligible();
  const body = ctx.body as JsonObject;
  const group = typeof body.to === 'string' ? s.groups.get(body.to) : undefined;
  if (!group) throw invalidParam(`Param to is not a group of this business: '${String(body.to)}'`);
  const type = typeof body.type === 'string' ? body.type : 'text';
  if (!GROUP_TYPES.has(type)) throw invalidParam(`Message type ${type} is not supported in groups`);
  if (body[type] === undefined) throw missingParam(type);
  const id = ctx.engine.ids.wamid();
  group.messages.push({ id, body });
  return { messaging_product: 'whatsapp', contacts: [{ input: group.id }], messages: [{ id }] };
}
