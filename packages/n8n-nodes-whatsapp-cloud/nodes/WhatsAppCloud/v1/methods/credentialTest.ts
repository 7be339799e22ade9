import { isWhatsAppError, WhatsAppClient } from '@wa-cloud/core';
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { normalizeCredentials, redisOptions, withGraph } from '../../transport';
import { redisTestRefusal, testTargetRefusal } from '../../transport/testTarget';

/**
 * Calls the phone number endpoint with the credentials and says in words what is wrong: an
 * expired token, a missing permission, or a WABA ID pasted as the phone number ID (core's hint
 * for each Meta code). The token is only sent to Meta's Graph host or an origin the operator
 * allowed (./../../transport/testTarget.ts says why).
 */
export async function whatsAppCloudApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
  const credentials = normalizeCredentials(credential.data ?? {});
  if (!credentials.accessToken) return { status: 'Error', message: 'The access token is empty.' };
  if (!/^\d+$/.test(credentials.phoneNumberId)) {
    return { status: 'Error', message: `Phone Number ID "${credentials.phoneNumberId}" must be digits only: copy it from WhatsApp Manager → API Setup.` };
  }
  if (credentials.wabaId && credentials.wabaId === credentials.phoneNumberId) {
    return { status: 'Error', message: 'The Phone Number ID and the WhatsApp Business Account ID are the same: one of them is wrong (API Setup shows both, one under the other).' };
  }
  // Before any request: the token goes to Meta's host or an origin the operator allowed, nowhere else.
  const refusal = testTargetRefusal(credentials.baseUrl);
  if (refusal) return { status: 'Error', message: refusal };
  try {
    const phone = await withGraph(credentials, (graph) =>
      graph.request<Record<string, unknown>>('GET', credentials.phoneNumberId, { query: { fields: 'display_phone_number,verified_name' } }),
    );
    if (!phone.display_phone_number) {
      return {
        status: 'Error',
        message: `ID ${credentials.phoneNumberId} is not a phone number ID (it has no phone number; is it the WhatsApp Business Account ID?). Copy the Phone number ID from API Setup.`,
      };
    }
    return { status: 'OK', message: `Connected: ${String(phone.verified_name ?? '')} ${String(phone.display_phone_number)}`.trim() };
  } catch (error) {
    if (isWhatsAppError(error)) return { status: 'Error', message: `${error.message}. ${error.hint}` };
    return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A round trip to the shared store (Redis): reads one window key through core's Redis window
 * store, so a wrong host, password, database or TLS setting fails here with core's hint. The
 * password is only sent to a host:port the operator allowed (./../../transport/testTarget.ts).
 */
export async function whatsAppCloudRedisApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
  const options = redisOptions(credential.data ?? {});
  // Before any connection: the saved password goes only to a host:port the operator listed.
  const target = new URL(options.url!);
  const refusal = redisTestRefusal({ host: target.hostname, port: Number(target.port) || 6379, password: target.password, username: target.username });
  if (refusal) return { status: 'Error', message: refusal };
  const client = new WhatsAppClient({ accessToken: 'unused', phoneNumberId: '0', redis: options });
  try {
    await client.windowTracker.status('0', 'credential-test');
    return { status: 'OK', message: `Connected (key prefix "${options.keyPrefix}")` };
  } catch (error) {
    if (isWhatsAppError(error)) return { status: 'Error', message: `${error.message}. ${error.hint}` };
    return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.close();
  }
}
