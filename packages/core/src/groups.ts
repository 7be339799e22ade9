import { WhatsAppError } from './errors/whatsapp-error';
import { GraphApiError, ValidationError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';
import type { RateLimiter } from './limiter/rate-limiter';
import { validateOutboundMessage } from './messages';
import { getPhoneNumber } from './phone-numbers';

/**
 * The Groups API (Official Business Accounts): create a group, get or reset its invite link, read
 * its participants, and the body of a message to the group. Groups are invite-only: users join
 * through the invite link; a business cannot add them.
 */

/** Meta's limits (groups reference): subject ≤ 128 characters (trimmed), description ≤ 2048. */
export const GROUP_LIMITS = Object.freeze({ subject: 128, description: 2048 });

/** Message types a group takes: text, media and templates (no interactive, reactions or location). */
export const GROUP_MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'template'] as const;

/**
 * The number is not allowed to use the Groups API: it is not an Official Business Account (the green
 * tick), or Meta refused it for eligibility (permission codes 10 / 200). Fix: apply for an Official
 * Business Account in WhatsApp Manager; until then, groups cannot be created or messaged.
 */
export class GroupsNotEligibleError extends WhatsAppError {
  constructor(message: string, cause?: unknown) {
    super(message, {
      code: 'groups_not_eligible',
      category: 'policy',
      retryable: false,
      hint: 'The Groups API is for Official Business Accounts (green tick): request one in WhatsApp Manager → Phone numbers → Settings → Official business account.',
      cause,
    });
    this.name = 'GroupsNotEligibleError';
  }
}

/** Meta's answer to a call a number may not make (permission): the eligibility error instead. */
async function eligible<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof GraphApiError && (error.graphCode === 10 || (error.graphCode !== undefined && error.graphCode >= 200 && error.graphCode <= 299))) {
      throw new GroupsNotEligibleError(`Meta refused the Groups API call: ${error.details ?? error.message}`, error);
    }
    throw error;
  }
}

function requireGroupId(groupId: unknown): string {
  if (typeof groupId !== 'string' || groupId.trim() === '' || /\s/.test(groupId.trim())) {
    throw new ValidationError('groupId', `"${String(groupId ?? '')}" is not a group ID`, 'Use the group ID from Create Group or the group webhooks.');
  }
  return groupId.trim();
}

export interface CreateGroupInput {
  subject: string;
  description?: string;
  /** `auto_approve` (default) or `approval_required` (you approve each join request). */
  joinApprovalMode?: 'auto_approve' | 'approval_required';
}

/** What {@link createGroup} returns: Meta answers at once and reports the group (with its invite link) on the `group_lifecycle_update` webhook. */
export interface CreateGroupResult {
  /** The group ID when Meta returns it synchronously. */
  groupId?: string;
  /** The request ID the `group_lifecycle_update` webhook carries. */
  requestId?: string;
  inviteLink?: string;
}

/**
 * Creates a group (`POST /{PHONE_NUMBER_ID}/groups`). Checks Meta's limits and that the number is an
 * Official Business Account first (`is_official_business_account`), so an ineligible number gets a
 * `GroupsNotEligibleError` without the create call.
 * @throws ValidationError for a subject or description over Meta's limits
 * @throws GroupsNotEligibleError when the number is not an Official Business Account
 * @example
 * const { groupId } = await createGroup(graph, phoneNumberId, { subject: 'Order #1042 support' });
 */
export async function createGroup(graph: GraphApi, phoneNumberId: string, input: CreateGroupInput): Promise<CreateGroupResult> {
  const subject = typeof input?.subject === 'string' ? input.subject.trim() : '';
  if (!subject) throw new ValidationError('subject', 'is required (1 to 128 characters)');
  if (subject.length > GROUP_LIMITS.subject) throw new ValidationError('subject', `${subject.length} characters, the limit is ${GROUP_LIMITS.subject}`);
  if (input.description !== undefined && input.description.length > GROUP_LIMITS.description) {
    throw new ValidationError('description', `${input.description.length} characters, the limit is ${GROUP_LIMITS.description}`);
  }
  const mode = input.joinApprovalMode ?? 'auto_approve';
  if (mode !== 'auto_approve' && mode !== 'approval_required') {
    throw new ValidationError('joinApprovalMode', `"${String(mode)}" is not one of auto_approve, approval_required`);
  }
  const phone = await getPhoneNumber(graph, phoneNumberId);
  if (phone.isOfficialBusinessAccount === false) {
    throw new GroupsNotEligibleError(`phone number ${phoneNumberId} is not an Official Business Account, so it cannot create groups`);
  }
  const body = await eligible(
    graph.request<{ id?: string; request_id?: string; invite_link?: string }>('POST', `${encodeURIComponent(phoneNumberId)}/groups`, {
      json: { messaging_product: 'whatsapp', subject, ...(input.description ? { description: input.description } : {}), join_approval_mode: mode },
    }),
  );
  return {
    ...(body.id ? { groupId: body.id } : {}),
    ...(body.request_id ? { requestId: body.request_id } : {}),
    ...(body.invite_link ? { inviteLink: body.invite_link } : {}),
  };
}

/**
 * The group's invite link (`GET /{GROUP_ID}/invite_link`); with `reset`, a new one replaces it
 * (`POST`: the old link stops working).
 * @example
 * const { inviteLink } = await getGroupInviteLink(graph, groupId);
 */
export async function getGroupInviteLink(graph: GraphApi, groupId: string, options: { reset?: boolean } = {}): Promise<{ groupId: string; inviteLink: string }> {
  const id = requireGroupId(groupId);
  const path = `${encodeURIComponent(id)}/invite_link`;
  const body = await eligible(
    options.reset
      ? graph.request<{ invite_link?: string }>('POST', path, { json: { messaging_product: 'whatsapp' } })
      : graph.request<{ invite_link?: string }>('GET', path),
  );
  if (!body.invite_link) throw new ValidationError('groupId', `Meta returned no invite link for group ${id}`);
  return { groupId: id, inviteLink: body.invite_link };
}

/** A group as read by {@link getGroup}. */
export interface GroupInfo {
  groupId: string;
  subject?: string;
  description?: string;
  joinApprovalMode?: string;
  suspended?: boolean;
  createdAt?: Date;
  /** WhatsApp IDs of the participants (the business itself not included). */
  participants: string[];
  totalParticipantCount?: number;
}

/**
 * Reads a group and its participants (`GET /{GROUP_ID}?fields=…`).
 * @example
 * const { participants } = await getGroup(graph, groupId);
 */
export async function getGroup(graph: GraphApi, groupId: string): Promise<GroupInfo> {
  const id = requireGroupId(groupId);
  const body = await eligible(
    graph.request<Record<string, unknown>>('GET', encodeURIComponent(id), {
      query: { fields: 'subject,description,join_approval_mode,suspended,creation_timestamp,participants,total_participant_count' },
    }),
  );
  const participants = Array.isArray(body.participants) ? body.participants : [];
  return {
    groupId: id,
    ...(typeof body.subject === 'string' ? { subject: body.subject } : {}),
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.join_approval_mode === 'string' ? { joinApprovalMode: body.join_approval_mode } : {}),
    ...(typeof body.suspended === 'boolean' ? { suspended: body.suspended } : {}),
    ...(typeof body.creation_timestamp === 'number' ? { createdAt: new Date(body.creation_timestamp * 1000) } : {}),
    participants: participants.map((p) => String((p as { wa_id?: unknown })?.wa_id ?? '')).filter(Boolean),
    ...(typeof body.total_participant_count === 'number' ? { totalParticipantCount: body.total_participant_count } : {}),
  };
}

/**
 * The Graph body of a message to a group (`recipient_type: "group"`, `to` = the group ID). The
 * message content is checked by the same rules as any send; types a group does not take are refused.
 * @throws ValidationError for a type groups do not take, or content that breaks a limit
 * @example
 * await graph.request('POST', `${phoneNumberId}/messages`, { json: groupMessageBody(groupId, { type: 'text', text: { body: 'Hi all' } }) });
 */
export function groupMessageBody(groupId: string, message: { type?: unknown; [key: string]: unknown }): Record<string, unknown> {
  const id = requireGroupId(groupId);
  if (!message || typeof message !== 'object') throw new ValidationError('message', 'must be a message object ({ type, [type]: … })');
  if (!GROUP_MESSAGE_TYPES.includes(message.type as (typeof GROUP_MESSAGE_TYPES)[number])) {
    throw new ValidationError('type', `"${String(message.type)}" cannot be sent to a group; groups take ${GROUP_MESSAGE_TYPES.join(', ')}`);
  }
  // The content rules do not depend on the recipient: checked with a stand-in individual address.
  const { to: _to, recipient_type: _type, messaging_product: _product, ...content } = message;
  const checked = validateOutboundMessage({ ...content, to: '+10000000000' }) as Record<string, unknown>;
  const { to: _standIn, ...rest } = checked;
  return { messaging_product: 'whatsapp', recipient_type: 'group', to: id, ...rest };
}

/**
 * Sends a message to a group through the client's limiter (`POST /{PHONE_NUMBER_ID}/messages`).
 * @example
 * const { messageId } = await sendToGroup(client, groupId, { type: 'text', text: { body: 'Hi all' } });
 */
export async function sendToGroup(
  client: { graph: GraphApi; phoneNumberId: string; limiter: Pick<RateLimiter, 'schedule'> },
  groupId: string,
  message: { type?: unknown; [key: string]: unknown },
): Promise<{ messageId: string; groupId: string }> {
  const body = groupMessageBody(groupId, message);
  const answer = await client.limiter.schedule(undefined, (written) =>
    eligible(client.graph.request<{ messages?: Array<{ id?: string }> }>('POST', `${client.phoneNumberId}/messages`, { json: body, onWritten: written })),
  );
  const messageId = answer.messages?.[0]?.id;
  if (!messageId) throw new WhatsAppError('Meta accepted the group message but returned no message id', { code: 'invalid_response', category: 'unknown', hint: 'Check the base URL points at the Graph API.' });
  return { messageId, groupId: body.to as string };
}
