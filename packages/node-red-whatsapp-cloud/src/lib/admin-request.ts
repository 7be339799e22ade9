/**
 * What an editor request to the admin routes may contain, checked before anything leaves the
 * process. The rules (SECURITY.md, "editor users → admin routes"):
 *  - the body is a JSON object with known string fields of bounded length (a cross-site form post
 *    cannot send JSON without a CORS preflight, so form-encoded bodies are refused);
 *  - `id`, when given, names a `whatsapp-cloud-config` node (never another node's credentials);
 *  - a saved secret is only sent to Meta's Graph host or to the base URL saved in that node: a
 *    typed new base URL is used only with secrets typed in the same request;
 *  - a typed `${NAME}` is resolved from the process environment only when the operator listed NAME
 *    in settings.js (`whatsappCloudConfigEditorEnv`, default: none). Saved credentials keep
 *    Node-RED's own runtime resolution.
 */
import { CREDENTIAL_FIELDS, SECRET_FIELDS, ValidationError, isGraphOrigin, normalizeBaseUrl, sameBaseUrl } from './core';
import { SAVED_PASSWORD_PLACEHOLDER, type ConnectionSettings, type Secrets } from './connection';

/** The settings.js key with the environment variables the editor may reference as `${NAME}`. */
export const EDITOR_ENV_SETTING = 'whatsappCloudConfigEditorEnv';

const CONFIG_TYPE = 'whatsapp-cloud-config';
const MAX_SECRET_LENGTH = 4096;
const MAX_PROPERTY_LENGTH = 2048;
const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const ENV_REFERENCE = /^\$\{(\w{1,128})\}$/;

type Field = keyof ConnectionSettings;
const FIELDS = CREDENTIAL_FIELDS.map((f) => f.name as Field);
const SECRETS = new Set<string>(SECRET_FIELDS);

/** A refused editor request: the HTTP status to answer with and a secret-free reason. */
export class AdminRequestError extends ValidationError {
  constructor(
    readonly status: number,
    field: string,
    problem: string,
    hint: string,
  ) {
    super(field, problem, hint);
  }
}

/** The saved state of a config node as the admin routes may use it. */
export interface SavedConfig {
  settings: ConnectionSettings;
}

interface LiveNode {
  type?: unknown;
  settings?: ConnectionSettings;
}

/** The live config node `id` names, or undefined for an unsaved one; any other node type is refused. */
export function savedConfig(getNode: (id: string) => unknown, id: unknown): SavedConfig | undefined {
  if (id === undefined || id === null || id === '') return undefined;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new AdminRequestError(400, 'id', 'must be a node id (1 to 64 letters, digits, "_", "-" or ".")', 'Open the dialog from the editor again.');
  }
  const live = getNode(id) as LiveNode | null | undefined;
  if (!live) return undefined; // not deployed yet: only what is typed counts
  if (live.type !== CONFIG_TYPE) {
    throw new AdminRequestError(400, 'id', `is not a ${CONFIG_TYPE} node`, 'Pick a WhatsApp Cloud config node.');
  }
  return { settings: live.settings ?? {} };
}

/** Checks the request's framing: JSON content type, and an Origin (when sent) of this very host. */
export function checkFraming(headers: Record<string, string | string[] | undefined>): void {
  const type = String(headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AdminRequestError(415, 'body', 'must be sent as application/json', 'The editor sends JSON; other clients must too.');
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(String(origin)).host;
    } catch {
      host = undefined;
    }
    if (!host || host !== String(headers.host ?? '')) {
      throw new AdminRequestError(403, 'origin', 'is not the editor of this Node-RED', 'Use the Node-RED editor itself.');
    }
  }
}

/** The body as a map of known, bounded string fields; anything else is refused by name. */
export function checkBody(body: unknown): Partial<Record<Field | 'id', string>> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AdminRequestError(400, 'body', 'must be a JSON object', 'The editor sends the config node id and its typed fields.');
  }
  const out: Partial<Record<Field | 'id', string>> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key !== 'id' && !FIELDS.includes(key as Field)) {
      throw new AdminRequestError(400, key.length > 40 ? `${key.slice(0, 40)}…` : key, 'is not a field of the config node', `Send only id, ${FIELDS.join(', ')}.`);
    }
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new AdminRequestError(400, key, `must be a string (got ${Array.isArray(value) ? 'array' : typeof value})`, 'Send the field as text.');
    const limit = key === 'id' ? 64 : SECRETS.has(key) ? MAX_SECRET_LENGTH : MAX_PROPERTY_LENGTH;
    if (value.length > limit) throw new AdminRequestError(400, key, `${value.length} characters, the limit is ${limit}`, 'Check what was pasted into that field.');
    out[key as Field | 'id'] = value;
  }
  return out;
}

/** A typed value, with a `${NAME}` reference resolved only when the operator allowed NAME. */
function resolveTyped(field: string, value: string, allowed: readonly string[]): string | undefined {
  const match = ENV_REFERENCE.exec(value);
  if (!match) return value;
  const name = match[1]!;
  if (!allowed.includes(name)) {
    throw new AdminRequestError(
      400,
      field,
      `\${${name}} is not on the allow-list of environment variables the editor may use`,
      `Type the value itself, deploy and test the saved node, or add "${name}" to ${EDITOR_ENV_SETTING} in settings.js.`,
    );
  }
  const resolved = process.env[name]?.trim();
  return resolved ? resolved : undefined;
}

/** The environment variable names listed in settings.js (anything malformed counts as none). */
export function allowedEnv(settings: Record<string, unknown>): string[] {
  const list = settings[EDITOR_ENV_SETTING];
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * The connection an editor request may use: typed values win; a secret left empty or shown as the
 * saved placeholder comes from the saved node, but only towards Meta's Graph host or the saved
 * base URL.
 */
export function editorConnection(fields: Partial<Record<Field | 'id', string>>, saved: SavedConfig | undefined, allowed: readonly string[]): ConnectionSettings {
  const out: ConnectionSettings = {};
  const savedFrom: string[] = [];
  for (const name of FIELDS) {
    const raw = fields[name]?.trim();
    const isSecret = SECRETS.has(name);
    if (raw === undefined || (isSecret && (raw === '' || raw === SAVED_PASSWORD_PLACEHOLDER))) {
      out[name] = saved?.settings[name];
      if (isSecret && out[name] !== undefined) savedFrom.push(name);
      continue;
    }
    out[name] = raw === '' ? undefined : resolveTyped(name, raw, allowed);
  }
  if (out.baseUrl) out.baseUrl = normalizeBaseUrl(out.baseUrl, 'baseUrl');
  const target = out.baseUrl;
  const pinned = isGraphOrigin(target ?? 'https://graph.facebook.com') || (saved !== undefined && sameBaseUrl(target, saved.settings.baseUrl));
  if (!pinned && savedFrom.length) {
    throw new AdminRequestError(
      400,
      savedFrom[0]!,
      'the saved secret is only sent to Meta\'s Graph host or the saved base URL, and the base URL was changed',
      'Type the secret again to try the new base URL, or deploy the new base URL first.',
    );
  }
  return out;
}

export type { Secrets };
