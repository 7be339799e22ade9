import { generateKeyPairSync } from 'node:crypto';
import { encryptFlowCall, flowKeyPair } from '../../../test/support/meta-flow-client';
import { FlowEndpointError } from '../src/flows/errors';
import { decryptFlowRequest, encryptFlowResponse, flipIv, loadFlowPrivateKey, normalizePem } from '../src/flows/crypto';
import { completeFlowResponse, encryptFlowReply, flowSessionFromToken, handleFlowEndpointPost, validateFlowResponse } from '../src/flows/endpoint';
import { ValidationError } from '../src/errors/error-classes';

const SECRET = 'app-secret';
const keys = flowKeyPair();
const privateKey = loadFlowPrivateKey(keys.privateKeyPem);
const INIT = { version: '3.0', action: 'INIT', flow_token: 'tok-1' };
const EXCHANGE = { version: '3.0', action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-05' }, flow_token: 'tok-1' };

async function post(request: unknown, options: { publicKeyPem?: string; secret?: string; tamper?: (raw: Buffer) => Buffer } = {}) {
  const call = await encryptFlowCall(request, options.publicKeyPem ?? keys.publicKeyPem, options.secret ?? SECRET);
  const raw = options.tamper ? options.tamper(call.raw) : call.raw;
  const result = handleFlowEndpointPost({ rawBody: raw, headers: { 'x-hub-signature-256': call.signature }, appSecret: SECRET, privateKey });
  return { call, result };
}

describe('Flow endpoint crypto (as Meta specifies it)', () => {
  it('decrypts what WhatsApp encrypts and answers so that WhatsApp can read it (flipped IV)', async () => {
    const { call, result } = await post(EXCHANGE);
    expect(result.type).toBe('request');
    if (result.type !== 'request') return;
    expect(result.request).toEqual({ action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-05' }, flowToken: 'tok-1', version: '3.0' });
    const reply = encryptFlowReply({ screen: 'TIME', data: { slots: ['10:00'] } }, result.session);
    expect(reply.status).toBe(200);
    expect(await call.decryptResponse(reply.body)).toEqual({ screen: 'TIME', data: { slots: ['10:00'] } });
  });

  it('the response IV is every bit of the request IV inverted, and the tag is the last 16 bytes', async () => {
    expect(flipIv(Buffer.from([0x00, 0xff, 0x0f, 0xa5]))).toEqual(Buffer.from([0xff, 0x00, 0xf0, 0x5a]));
    const { call, result } = await post(INIT);
    if (result.type !== 'request') throw new Error('expected a request');
    const answer = Buffer.from(encryptFlowResponse({ data: {} }, result.session), 'base64');
    expect(answer.length).toBe(JSON.stringify({ data: {} }).length + 16);
    // Encrypted with the request IV itself (not flipped), WhatsApp could not read it.
    const unflipped = encryptFlowResponse({ data: {} }, { aesKey: result.session.aesKey, initialVector: flipIv(result.session.initialVector) });
    await expect(call.decryptResponse(unflipped)).rejects.toThrow();
  });

  it('answers ping with {data:{status:"active"}} by itself', async () => {
    const { call, result } = await post({ version: '3.0', action: 'ping' });
    expect(result.type === 'reply' && result.kind).toBe('ping');
    if (result.type !== 'reply') return;
    expect(result.status).toBe(200);
    expect(await call.decryptResponse(result.body)).toEqual({ data: { status: 'active' } });
  });

  it('acknowledges an error notification and reports it', async () => {
    const { call, result } = await post({ version: '3.0', action: 'data_exchange', flow_token: 'tok-9', screen: 'DATE', data: { error: 'invalid-screen-transition', error_message: 'no such screen' } });
    if (result.type !== 'reply') throw new Error('expected a reply');
    expect(result.kind).toBe('error_notification');
    expect(result.notification).toEqual({ flowToken: 'tok-9', error: 'invalid-screen-transition', errorMessage: 'no such screen', screen: 'DATE' });
    expect(await call.decryptResponse(result.body)).toEqual({ data: { acknowledged: true } });
  });

  it('a request for another key is answered 421 (WhatsApp refetches the public key)', async () => {
    const other = flowKeyPair();
    const { result } = await post(INIT, { publicKeyPem: other.publicKeyPem });
    expect(result.type === 'reply' && [result.kind, result.status, result.error?.code]).toEqual(['refused', 421, 'flow_decrypt_failed']);
  });

  it('a flow-data ciphertext that fails its GCM tag is answered 421', async () => {
    const { result } = await post(INIT, {
      tamper: (raw) => {
        const body = JSON.parse(raw.toString());
        const data = Buffer.from(body.encrypted_flow_data, 'base64');
        data[0] ^= 1;
        body.encrypted_flow_data = data.toString('base64');
        return Buffer.from(JSON.stringify(body));
      },
    });
    // The tampered body no longer matches its signature: refused before decryption.
    expect(result.type === 'reply' && result.status).toBe(432);
    const call = await encryptFlowCall(INIT, keys.publicKeyPem, SECRET);
    const data = Buffer.from(call.body.encrypted_flow_data, 'base64');
    data[0] ^= 1;
    expect(() => decryptFlowRequest({ ...call.body, encrypted_flow_data: data.toString('base64') }, privateKey)).toThrow(
      expect.objectContaining({ status: 421, code: 'flow_decrypt_failed' }),
    );
  });

  it('a bad or missing X-Hub-Signature-256, or no app secret, is answered 432 before decrypting', async () => {
    const { result } = await post(INIT, { secret: 'another-secret' });
    expect(result.type === 'reply' && [result.status, result.error?.code]).toEqual([432, 'flow_signature_invalid']);
    const call = await encryptFlowCall(INIT, keys.publicKeyPem, SECRET);
    const unsigned = handleFlowEndpointPost({ rawBody: call.raw, headers: {}, appSecret: SECRET, privateKey });
    expect(unsigned.type === 'reply' && unsigned.status).toBe(432);
    const noSecret = handleFlowEndpointPost({ rawBody: call.raw, headers: { 'x-hub-signature-256': call.signature }, appSecret: undefined, privateKey });
    expect(noSecret.type === 'reply' && noSecret.status).toBe(432);
  });

  it('a signed body without the three fields is answered 400', async () => {
    const call = await encryptFlowCall(INIT, keys.publicKeyPem, SECRET);
    const raw = Buffer.from(JSON.stringify({ encrypted_aes_key: call.body.encrypted_aes_key }));
    const { createHmac } = await import('node:crypto');
    const signature = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    const result = handleFlowEndpointPost({ rawBody: raw, headers: { 'x-hub-signature-256': signature }, appSecret: SECRET, privateKey });
    expect(result.type === 'reply' && [result.status, result.error?.message]).toEqual([400, 'encrypted_flow_data: missing from the request body']);
  });

  it('a stored session token answers later with the private key alone', async () => {
    const { call, result } = await post(EXCHANGE);
    if (result.type !== 'request') throw new Error('expected a request');
    const stored = JSON.parse(JSON.stringify(result.sessionToken));
    const session = flowSessionFromToken(stored, privateKey);
    const reply = encryptFlowReply(completeFlowResponse('tok-1', { booking: 'B-1' }), session);
    expect(await call.decryptResponse(reply.body)).toEqual({ screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: 'tok-1', booking: 'B-1' } } } });
    expect(() => flowSessionFromToken(undefined, privateKey)).toThrow(ValidationError);
  });

  it('an invalid flow token is answered 427 with error_msg', async () => {
    const { call, result } = await post(EXCHANGE);
    if (result.type !== 'request') throw new Error('expected a request');
    const reply = encryptFlowReply(undefined, result.session, { invalidFlowToken: 'This booking link expired' });
    expect(reply.status).toBe(427);
    expect(await call.decryptResponse(reply.body)).toEqual({ error_msg: 'This booking link expired' });
  });

  it('responses are checked before encryption, naming the field', () => {
    expect(() => validateFlowResponse('TIME')).toThrow('flowResponse: must be an object');
    expect(() => validateFlowResponse({ screen: 'TIME', data: [] })).toThrow('flowResponse.data: must be an object');
    expect(() => validateFlowResponse({ data: { slots: [] } })).toThrow('flowResponse.screen: missing');
    expect(validateFlowResponse({ data: { error_message: 'Pick another day' } })).toEqual({ data: { error_message: 'Pick another day' } });
  });
});

describe('loadFlowPrivateKey', () => {
  it('reads a passphrase-protected key, and refuses a wrong or missing passphrase without quoting the key', async () => {
    const locked = flowKeyPair('correct horse');
    const key = loadFlowPrivateKey(locked.privateKeyPem, 'correct horse');
    const call = await encryptFlowCall(INIT, locked.publicKeyPem, SECRET);
    expect(decryptFlowRequest(call.body, key).request).toEqual(INIT);
    for (const passphrase of [undefined, 'wrong']) {
      let error: unknown;
      try {
        loadFlowPrivateKey(locked.privateKeyPem, passphrase);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(FlowEndpointError);
      const text = JSON.stringify(error) + String((error as Error).message) + String((error as Error).cause);
      expect(text).not.toContain(locked.privateKeyPem.split('\n')[1]);
      expect(text).not.toContain('correct horse');
    }
  });

  it('reads a PEM whose line breaks were lost in a password field or an environment variable', () => {
    const flat = keys.privateKeyPem.trim().split('\n').join(' ');
    const escaped = keys.privateKeyPem.trim().split('\n').join('\\n');
    for (const pem of [flat, escaped]) expect(loadFlowPrivateKey(pem).asymmetricKeyType).toBe('rsa');
    expect(normalizePem(flat)).toBe(keys.privateKeyPem.trim());
  });

  it('refuses an empty key and a non-RSA key', () => {
    expect(() => loadFlowPrivateKey('  ')).toThrow('flowPrivateKey: no private key is configured');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(() => loadFlowPrivateKey(ec.privateKey)).toThrow('Flows use an RSA key');
  });
});
