// Signed WhatsApp webhook POST bodies in Meta's shape, each with fresh ids (so dedupe never
// short-circuits), in a fixed mix of realistic batch sizes: most POSTs carry one event, bursts
// of statuses arrive batched (Meta batches up to 1000 updates; 10 is already a busy number).
import { createHmac } from 'node:crypto';

export const PHONE_NUMBER_ID = '100000000000001';
export const WABA_ID = '200000000000001';
export const APP_SECRET = 'bench-app-secret';

/** Events per POST, cycled: mean 3. */
export const BATCH_MIX = [1, 1, 1, 1, 2, 3, 5, 10];
export const MEAN_EVENTS = BATCH_MIX.reduce((a, b) => a + b, 0) / BATCH_MIX.length;

const metadata = { display_phone_number: '15550001234', phone_number_id: PHONE_NUMBER_ID };

function messagesValue(n, seq, ts) {
  const contacts = [];
  const messages = [];
  for (let i = 0; i < n; i++) {
    const waId = `1555${String(5_000_000 + ((seq * 7 + i) % 1_000_000)).padStart(7, '0')}`;
    contacts.push({ profile: { name: `User ${seq}-${i}` }, wa_id: waId });
    messages.push({ from: waId, id: `wamid.bench.in.${process.pid}.${seq}.${i}`, timestamp: ts, type: 'text', text: { body: `Hello, I have a question about order #${seq}-${i}` } });
  }
  return { messaging_product: 'whatsapp', metadata, contacts, messages };
}

function statusesValue(n, seq, ts) {
  const statuses = [];
  for (let i = 0; i < n; i++) {
    const status = ['sent', 'delivered', 'read'][i % 3];
    statuses.push({
      id: `wamid.bench.out.${process.pid}.${seq}.${i}`,
      status,
      timestamp: ts,
      recipient_id: `1555${String(6_000_000 + ((seq * 13 + i) % 1_000_000)).padStart(7, '0')}`,
      ...(status === 'read' ? {} : { pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' } }),
    });
  }
  return { messaging_product: 'whatsapp', metadata, statuses };
}

/** The seq-th body of the mix: odd batches are inbound messages, the rest statuses. */
export function webhookBody(seq) {
  const n = BATCH_MIX[seq % BATCH_MIX.length];
  const ts = String(Math.floor(Date.now() / 1000));
  const value = seq % 2 === 1 ? messagesValue(n, seq, ts) : statusesValue(n, seq, ts);
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ value, field: 'messages' }] }] });
}

/** The seq-th body of a campaign's status traffic: one status (sent, delivered or read) of its own message per POST. */
export function statusBody(seq) {
  const ts = String(Math.floor(Date.now() / 1000));
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ value: statusesValue(1, seq, ts), field: 'messages' }] }] });
  return body.replace('wamid.bench.out.', 'wamid.bench.absorbed.');
}

export function sign(body, secret = APP_SECRET) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
