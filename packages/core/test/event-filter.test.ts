import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_GROUPS, eventGroupOf, isForNumber, passesEventFilter } from '../src/webhook/event-filter';
import { parseWebhook } from '../src/webhook/parse';
import type { InboundEvent } from '../src/webhook/types';

const sample = (name: string): InboundEvent[] => parseWebhook(readFileSync(join(__dirname, 'fixtures', 'webhooks', name)));

describe('event filter (both adapters\' Events / Statuses / number choices)', () => {
  test('every sample event falls in one of the groups', () => {
    const groups = new Set(['msg-text.json', 'status-failed-131049.json', 'template-status-approved.json', 'phone-number-quality-update.json', 'user-preferences-resume.json', 'value-errors-130429.json'].flatMap(sample).map(eventGroupOf));
    expect([...groups].sort()).toEqual(['accountUpdates', 'errors', 'messages', 'statuses', 'templateUpdates', 'userPreferences']);
    expect(EVENT_GROUPS).toContain('other');
  });

  test('groups and statuses: undefined passes everything, a list passes only its members', () => {
    const [message] = sample('msg-text.json');
    const [failed] = sample('status-failed-131049.json');
    expect(passesEventFilter(message!, {})).toBe(true);
    expect(passesEventFilter(message!, { events: ['statuses'] })).toBe(false);
    expect(passesEventFilter(failed!, { events: ['statuses'], statuses: ['failed'] })).toBe(true);
    expect(passesEventFilter(failed!, { events: ['statuses'], statuses: ['read'] })).toBe(false);
    expect(passesEventFilter(failed!, { events: ['statuses'] })).toBe(true);
  });

  test('number: messages and statuses by phone number ID, account-level events by WABA ID', () => {
    const [message] = sample('msg-text.json');
    const [template] = sample('template-status-approved.json');
    expect(isForNumber(message!, { phoneNumberId: message!.phoneNumberId! })).toBe(true);
    expect(isForNumber(message!, { phoneNumberId: 'another' })).toBe(false);
    expect(template!.phoneNumberId).toBeUndefined();
    expect(isForNumber(template!, { phoneNumberId: 'any', wabaId: template!.wabaId })).toBe(true);
    expect(isForNumber(template!, { phoneNumberId: 'any', wabaId: 'another' })).toBe(false);
    expect(isForNumber(template!, { phoneNumberId: 'any' })).toBe(true); // no WABA ID known: cannot tell, keep it
  });
});
