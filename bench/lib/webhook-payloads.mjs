// Signed WhatsApp webhook POST bodies in Meta's shape, each with fresh ids (so dedupe never
// short-circuits), in a fixed mix of realistic batch sizes: most POSTs carry one event, bursts
// of statuses arrive batched (Meta batches up to 1000 updates; 10 is already a busy number).
import { createHmac, randomBytes } from 'node:crypto';

export const PHONE_NUMBER_ID = '100000000000001';
export const WABA_ID = '200000000000001';
export const APP_SECRET = 'bench-app-secret';

/** Events per POST, cycled: mean 3. */
export const BATCH_MIX = [1, 1, 1, 1, 2, 3, 5, 10];
export const MEAN_EVENTS = BATCH_MIX.reduce((a, b) => a + b, 0) / BATCH_MIX.length;

/**
 * A message id shaped like Meta's: `wamid.` + base64 of the user's number and 18 random hex digits
 * (`HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Y0NzUyRjMA` decodes to 1c 18 0b "16505076520" 15 02 00
 * 11 18 12 "9A3CA5B3D4CF4752F3" 00). Such ids land at random places in a sorted index, so every new
 * seen-event key the embedded store writes goes to a page of its own; ids counting up would
 * land side by side and make that store look cheaper than it is with Meta's traffic.
 */
export function metaMessageId(phone) {
  const random = randomBytes(9).toString('hex').toUpperCase();
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, phone.length]),
    Buffer.from(phone),
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, random.length]),
    Buffer.from(random),
    Buffer.from([0x00]),
  ]);
  return `wamid.${bytes.toString('base64')}`;
}

const metadata = { display_phone_number: '15550001234', phone_number_id: PHONE_NUMBER_ID };

function messagesValue(n, seq, ts) {
  const contacts = [];
  const messages = [];
  for (let i = 0; i < n; i++) {
    const waId = `1555${String(5_000_000 + ((seq * 7 + i) % 1_000_000)).padStart(7, '0')}`;
    contacts.push({ profile: { name: `User ${seq}-${i}` }, wa_id: waId });
    messages.push({ from: waId, id: metaMessageId(waId), timestamp: ts, type: 'text', text: { body: `Hello, I have a question about order #${seq}-${i}` } });
  }
  return { messaging_product: 'whatsapp', metadata, contacts, messages };
}

function statusesValue(n, seq, ts, idOf = metaMessageId) {
  const statuses = [];
  for (let i = 0; i < n; i++) {
    const status = ['sent', 'delivered', 'read'][i % 3];
    const recipient = `1555${String(6_000_000 + ((seq * 13 + i) % 1_000_000)).padStart(7, '0')}`;
    statuses.push({
      id: idOf(recipient, seq, i),
      status,
      timestamp: ts,
      recipient_id: recipient,
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
  // Ids the n8n measure finds in the ledger afterwards by their prefix.
  const value = statusesValue(1, seq, ts, (_recipient, s, i) => `wamid.bench.absorbed.${process.pid}.${s}.${i}`);
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes: [{ value, field: 'messages' }] }] });
}

export function sign(body, secret = APP_SECRET) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
