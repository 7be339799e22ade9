import definition from './generated/whatsapp-cloud-api.json';
import { DEFAULT_API_VERSION } from './version';

/** One credential field, as both adapters render it. */
export interface CredentialField {
  name: 'accessToken' | 'phoneNumberId' | 'wabaId' | 'appSecret' | 'verifyToken' | 'flowPrivateKey' | 'flowPrivateKeyPassphrase' | 'apiVersion' | 'baseUrl';
  displayName: string;
  type: 'string' | 'password';
  required: boolean;
  description: string;
  default?: string;
  placeholder?: string;
  /** Lines of the input box (multi-line secrets such as a PEM key). */
  rows?: number;
  /** Shown under "advanced" options. */
  advanced?: boolean;
}

/**
 * The credential fields (access token, phone number ID, WABA ID, app secret, verify token, API
 * version, base URL) from the one definition in the repository's `credentials/` folder, with the
 * current default API version filled in. The n8n credential and the Node-RED config node derive
 * their fields from this list.
 */
export const CREDENTIAL_FIELDS: readonly CredentialField[] = definition.fields.map((field) => ({
  ...(field as Omit<CredentialField, 'name' | 'type'>),
  name: field.name as CredentialField['name'],
  type: field.type as CredentialField['type'],
  ...(field.name === 'apiVersion' ? { default: DEFAULT_API_VERSION } : {}),
}));

/** Name and title of the credential type. */
export const CREDENTIAL_TYPE = { name: definition.name, displayName: definition.displayName, documentationUrl: definition.documentationUrl } as const;

/** Field names whose values are secrets: never logged, never in outputs or exports. */
export const SECRET_FIELDS: readonly string[] = CREDENTIAL_FIELDS.filter((f) => f.type === 'password').map((f) => f.name);
