/**
 * Plays WhatsApp's side of a Flow data exchange, written from Meta's description and independent of
 * core's code (WebCrypto, not node:crypto's cipher API): a fresh AES-128 key wrapped with the
 * business's public key by RSA-OAEP/SHA-256, the request JSON under AES-128-GCM (tag appended),
 * and the answer read back with the bit-inverted IV.
 */
import { createHmac, generateKeyPairSync, webcrypto } from 'node:crypto';

const { subtle } = webcrypto;

export interface FlowKeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** An RSA-2048 pair like `openssl genrsa -des3 2048` makes; with a passphrase, the private PEM is encrypted. */
export function flowKeyPair(passphrase?: string): FlowKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: passphrase
      ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }
      : { type: 'pkcs1', format: 'pem' },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

function spkiDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export interface EncryptedFlowCall {
  /** The JSON body WhatsApp posts. */
  body: { encrypted_aes_key: string; encrypted_flow_data: string; initial_vector: string };
  /** The body as bytes, and its X-Hub-Signature-256 for `appSecret`. */
  raw: Buffer;
  signature: string;
  /** Reads the endpoint's base64 answer as WhatsApp does. */
  decryptResponse(base64: string): Promise<unknown>;
}

export async function encryptFlowCall(request: unknown, publicKeyPem: string, appSecret: string): Promise<EncryptedFlowCall> {
  const aesKeyBytes = webcrypto.getRandomValues(new Uint8Array(16));
  const iv = webcrypto.getRandomValues(new Uint8Array(16));
  const rsa = await subtle.importKey('spki', spkiDer(publicKeyPem), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  const wrapped = new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, rsa, aesKeyBytes));
  const aes = await subtle.importKey('raw', aesKeyBytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  // WebCrypto's AES-GCM output is ciphertext || 16-byte tag: the layout Meta sends.
  const data = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, aes, new TextEncoder().encode(JSON.stringify(request))));
  const body = {
    encrypted_aes_key: Buffer.from(wrapped).toString('base64'),
    encrypted_flow_data: Buffer.from(data).toString('base64'),
    initial_vector: Buffer.from(iv).toString('base64'),
  };
  const raw = Buffer.from(JSON.stringify(body));
  const flipped = iv.map((byte) => byte ^ 0xff);
  return {
    body,
    raw,
    signature: `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`,
    async decryptResponse(base64: string) {
      const plain = await subtle.decrypt({ name: 'AES-GCM', iv: flipped, tagLength: 128 }, aes, Buffer.from(base64, 'base64'));
      return JSON.parse(new TextDecoder().decode(plain));
    },
  };
}
