import { CREDENTIAL_FIELDS, type CredentialField } from '@wa-cloud/core';
import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** One n8n credential property per field of the one definition in the repository's `credentials/`. */
function toProperty(field: CredentialField): INodeProperties {
  return {
    displayName: field.displayName,
    name: field.name,
    type: 'string',
    default: field.default ?? '',
    required: field.required,
    description: field.description,
    ...(field.placeholder ? { placeholder: field.placeholder } : {}),
    ...(field.type === 'password' ? { typeOptions: { password: true, ...(field.rows ? { rows: field.rows } : {}) } } : {}),
  };
}

/**
 * WhatsApp Cloud API credentials. The test lives on the nodes (`testedBy`), because it explains
 * failures in words (expired token, missing permission, a WABA ID pasted as the phone number ID)
 * instead of showing a bare HTTP status.
 */
export class WhatsAppCloudApi implements ICredentialType {
  // Literals, so n8n's linter can read them; a unit test holds them equal to core's CREDENTIAL_TYPE.
  name = 'whatsAppCloudApi';

  displayName = 'WhatsApp Cloud API';

  documentationUrl = 'https://developers.facebook.com/docs/whatsapp/cloud-api/get-started';

  icon: Icon = { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' };

  properties: INodeProperties[] = CREDENTIAL_FIELDS.map(toProperty);
}
