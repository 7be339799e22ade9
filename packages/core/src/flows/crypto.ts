import { constants, createCipheriv, createDecipheriv, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { FlowEndpointError } from './errors';

/**
 * The encryption of WhatsApp Flows data exchange, as Meta specifies it ("Implementing your Flow
 * endpoint", and Meta's reference `decryptRequest` / `encryptResponse`):
 * - the request carries a fresh AES-128 key wrapped with the business's RSA public key
 *   (RSA-OAEP, SHA-256 for both OAEP and MGF1), the flow data encrypted with AES-128-GCM under
 *   that key and `initial_vector`, the 16-byte tag appended to the ciphertext;
 * - the response is encrypted with the same key and the bitwise-inverted IV, tag appended,
 *   base64 encoded, sent as the plain-text body.
 */

/** The three base64 fields of a Flow endpoint POST body. */
export interface EncryptedFlowRequest {
  encrypted_aes_key: string;
  encrypted_flow_data: string;
  initial_vector: string;
}

/** What the response encryption needs: the AES key and IV of the request it answers. */
export interface FlowCipherSession {
  aesKey: Buffer;
  initialVector: Buffer;
}

const TAG_BYTES = 16;
const AES_KEY_BYTES = 16;
const PEM_PATTERN = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/;

/**
 * A PEM as typed into a credential form: a password field or an environment variable often loses
 * the line breaks (spaces instead, or a literal `\n`). The body is base64 either way, so it is
 * re-wrapped; the `Proc-Type` / `DEK-Info` headers of legacy encrypted keys keep their lines.
 */
export function normalizePem(pem: string): string {
  const text = pem.replace(/\\n/g, '\n').trim();
  const match = PEM_PATTERN.exec(text);
  if (!match) return text;
  const label = match[1]!;
  const lines = match[2]!.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const headers: string[] = [];
  const bodyParts: string[] = [];
  for (const line of lines) {
    if (/^[A-Za-z-]+:/.test(line)) headers.push(line);
    else bodyParts.push(line);
  }
  // A body with spaces where the line breaks were: the base64 alphabet has no space.
  let body = bodyParts.join('').replace(/\s+/g, '');
  // A legacy header glued to the body by a lost line break ("DEK-Info: AES-128-CBC,ABCD MIIE...").
  if (headers.length === 0 && /Proc-Type:/.test(match[2]!)) {
    const flat = match[2]!.trim().split(/\s+/);
    const procIndex = flat.indexOf('Proc-Type:');
    const dekIndex = flat.indexOf('DEK-Info:');
    if (procIndex >= 0 && dekIndex > procIndex) {
      headers.push(`Proc-Type: ${flat[procIndex + 1]}`, `DEK-Info: ${flat[dekIndex + 1]}`);
      body = flat.slice(dekIndex + 2).join('');
    }
  }
  const wrapped = body.match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...headers, ...(headers.length ? [''] : []), ...wrapped, `-----END ${label}-----`].join('\n');
}

/**
 * Loads the business's RSA private key (PEM, PKCS#1 or PKCS#8, optionally passphrase-protected).
 * The error never quotes the key or the passphrase.
 * @throws FlowEndpointError (`flow_key_invalid`, status 500) when the key cannot be read
 * @example
 * const key = loadFlowPrivateKey(process.env.FLOW_PRIVATE_KEY!, process.env.FLOW_PASSPHRASE);
 */
export function loadFlowPrivateKey(pem: string, passphrase?: string): KeyObject {
  if (typeof pem !== 'string' || pem.trim() === '') {
    throw new FlowEndpointError('flowPrivateKey: no private key is configured', {
      code: 'flow_key_missing',
      status: 500,
      hint: 'Paste the PEM private key whose public half you uploaded to Meta (POST /{phone-number-id}/whatsapp_business_encryption) into the credentials.',
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: normalizePem(pem), format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(pem);
    throw new FlowEndpointError(
      encrypted && !passphrase
        ? 'flowPrivateKey: the key is passphrase-protected and no passphrase is configured'
        : `flowPrivateKey: not a readable PEM private key${encrypted ? ' (or the passphrase is wrong)' : ''}`,
      {
        code: 'flow_key_invalid',
        status: 500,
        hint: 'Check the private key (-----BEGIN … PRIVATE KEY----- … -----END …-----) and its passphrase in the credentials.',
        // The underlying OpenSSL message names no key material; keep only it.
        cause: error instanceof Error ? new Error(error.message) : undefined,
      },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new FlowEndpointError(`flowPrivateKey: a ${key.asymmetricKeyType ?? 'non-RSA'} key; Flows use an RSA key (2048 bits)`, {
      code: 'flow_key_invalid',
      status: 500,
      hint: 'Generate an RSA key pair (openssl genrsa -des3 -out private.pem 2048) and upload its public half to Meta.',
    });
  }
  return key;
}

function base64Field(body: Record<string, unknown>, field: keyof EncryptedFlowRequest): Buffer {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new FlowEndpointError(`${field}: missing from the request body`, {
      code: 'flow_request_invalid',
      status: 400,
      hint: 'Only WhatsApp sends requests to a Flow endpoint; this one is not a Flow data-exchange request.',
    });
  }
  return Buffer.from(value, 'base64');
}

/**
 * Decrypts a Flow endpoint request body. Anything that shows the request was not made for this
 * key — the AES key does not unwrap, has the wrong length, or the GCM tag does not verify — is a
 * `FlowEndpointError` with status 421, the answer that makes WhatsApp fetch the public key again
 * and retry.
 * @throws FlowEndpointError 400 for a body without the three fields, 421 for a decryption failure
 * @example
 * const { request, session } = decryptFlowRequest(JSON.parse(rawBody), privateKey);
 */
export function decryptFlowRequest(body: unknown, privateKey: KeyObject): { request: unknown; session: FlowCipherSession } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new FlowEndpointError('the request body is not a JSON object', {
      code: 'flow_request_invalid',
      status: 400,
      hint: 'Only WhatsApp sends requests to a Flow endpoint; this one is not a Flow data-exchange request.',
    });
  }
  const fields = body as Record<string, unknown>;
  const wrappedKey = base64Field(fields, 'encrypted_aes_key');
  const flowData = base64Field(fields, 'encrypted_flow_data');
  const initialVector = base64Field(fields, 'initial_vector');
  const session = { aesKey: unwrapAesKey(wrappedKey, privateKey), initialVector };
  if (flowData.length < TAG_BYTES) throw undecryptable('encrypted_flow_data is shorter than its 16-byte tag');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-128-gcm', session.aesKey, initialVector, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(flowData.subarray(flowData.length - TAG_BYTES));
    plain = Buffer.concat([decipher.update(flowData.subarray(0, flowData.length - TAG_BYTES)), decipher.final()]);
  } catch (error) {
    throw undecryptable('encrypted_flow_data does not decrypt (GCM tag mismatch)', error);
  }
  let request: unknown;
  try {
    request = JSON.parse(plain.toString('utf8'));
  } catch (error) {
    throw undecryptable('the decrypted flow data is not JSON', error);
  }
  return { request, session };
}

/** Unwraps the request's AES-128 key with RSA-OAEP (SHA-256). */
export function unwrapAesKey(wrappedKey: Buffer, privateKey: KeyObject): Buffer {
  let aesKey: Buffer;
  try {
    aesKey = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrappedKey);
  } catch (error) {
    throw undecryptable('encrypted_aes_key does not decrypt with the configured private key', error);
  }
  if (aesKey.length !== AES_KEY_BYTES) throw undecryptable(`the AES key is ${aesKey.length} bytes, expected ${AES_KEY_BYTES}`);
  return aesKey;
}

/** The IV Meta expects on responses: every bit of the request's IV inverted. */
export function flipIv(initialVector: Buffer): Buffer {
  return Buffer.from(initialVector.map((byte) => ~byte & 0xff));
}

/**
 * Encrypts a Flow endpoint response: JSON, AES-128-GCM under the request's key and the flipped IV,
 * tag appended, base64. Send it as the body with `Content-Type: text/plain`.
 * @example
 * res.type('text/plain').send(encryptFlowResponse({ screen: 'APPOINTMENT', data: {} }, session));
 */
export function encryptFlowResponse(response: unknown, session: FlowCipherSession): string {
  const cipher = createCipheriv('aes-128-gcm', session.aesKey, flipIv(session.initialVector), { authTagLength: TAG_BYTES });
  return Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

function undecryptable(reason: string, cause?: unknown): FlowEndpointError {
  return new FlowEndpointError(`Flow request cannot be decrypted: ${reason}`, {
    code: 'flow_decrypt_failed',
    status: 421,
    hint: 'Check that the private key in the credentials is the one whose public key is uploaded for this phone number; WhatsApp refetches the public key and retries after a 421.',
    cause: cause instanceof Error ? new Error(cause.message) : undefined,
  });
}
