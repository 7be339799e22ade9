import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_TABLE, ruleForCode } from '../src/errors/error-table';
import { mapGraphError, mapWebhookError } from '../src/errors/map-graph-error';
import { GraphApiError, ValidationError, WindowClosedError, NetworkError } from '../src/errors/error-classes';
import { WhatsAppError, isWhatsAppError } from '../src/errors/whatsapp-error';

/** §6 of the research notes, vendored (fixtures/api-facts-errors.md says where it comes from). */
const API_FACTS = join(__dirname, 'fixtures', 'api-facts-errors.md');

/** Codes of api-facts.md §6, ranges expanded to their ends ("134100–134102" → 134100, 134102). */
function codesFromApiFacts(): number[] {
  const text = readFileSync(API_FACTS, 'utf8');
  const section = text.slice(text.indexOf('## 6. Error handling'), text.indexOf('## 7.'));
  const codes: number[] = [];
  for (const line of section.split('\n')) {
    const cell = /^\| ([\d–\-, x]+?) \|/.exec(line)?.[1];
    if (!cell) continue;
    for (const part of cell.split(',')) {
      const [from, to] = part.trim().replace(/x+$/, (xs) => '0'.repeat(xs.length)).split(/[–-]/);
      if (from) codes.push(Number(from));
      if (to) codes.push(Number(to));
    }
  }
  return codes;
}

/** The grouping of architecture.md §3, checked against the table. */
const EXPECTED_CATEGORY: Record<number, string> = {
  0: 'auth', 190: 'auth', 10: 'auth', 200: 'auth', 299: 'auth',
  4: 'rate_limit', 80007: 'rate_limit', 130429: 'rate_limit', 131048: 'rate_limit', 131056: 'rate_limit',
  131047: 'window', 131026: 'recipient', 131030: 'recipient', 131021: 'recipient',
  132000: 'template', 132001: 'template', 132999: 'template', 131052: 'media', 131053: 'media',
  100: 'invalid_request', 131008: 'invalid_request', 131009: 'invalid_request',
  368: 'policy', 131031: 'policy', 131042: 'policy', 133010: 'policy',
  1: 'transient', 2: 'transient', 131000: 'transient', 131016: 'transient', 131057: 'transient',
};

describe('error table', () => {
  const codes = codesFromApiFacts();

  test('every code of api-facts.md §6 has a category, retryability and a hint', () => {
    expect(codes.length).toBeGreaterThan(70);
    for (const code of codes) {
      const rule = ruleForCode(code);
      expect({ code, rule: rule && { category: rule.category, hasHint: rule.hint.length > 20 } }).toEqual({
        code,
        rule: { category: expect.not.stringMatching(/^unknown$/), hasHint: true },
      });
    }
  });

  test.each(Object.entries(EXPECTED_CATEGORY))('code %s is in category %s', (code, category) => {
    expect(mapGraphError(400, JSON.stringify({ error: { code: Number(code), message: 'x' } })).category).toBe(category);
  });

  test('hints are sentences that say what to do, not a restated title', () => {
    for (const rule of Object.values(ERROR_TABLE)) {
      expect(rule.hint).toMatch(/^[A-Z].+[.)]$/);
    }
  });
});

describe('mapGraphError', () => {
  test('keeps everything Meta sent and keys on the code, not the HTTP status', () => {
    const body = JSON.stringify({
      error: {
        message: '(#131030) Recipient phone number not in allowed list',
        type: 'OAuthException',
        code: 131030,
        error_subcode: 2655007,
        error_data: { messaging_product: 'whatsapp', details: 'Recipient phone number not in allowed list' },
        fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      },
    });
    const error = mapGraphError(500, body);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({
      code: 'graph_131030',
      graphCode: 131030,
      subcode: 2655007,
      status: 500,
      category: 'recipient',
      retryable: false,
      details: 'Recipient phone number not in allowed list',
      fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      body,
    });
    expect(error.hint).toMatch(/allowed list/);
  });

  test.each(['131030-recipient-not-in-allowed-list', '132001-template-not-in-language', '190-463-token-expired', '130429-throughput-docs-example', '100-template-param-text-missing'])(
    'maps the real sample %s',
    (name) => {
      const sample = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'errors', `${name}.json`), 'utf8'));
      const body = sample.body ?? sample.response ?? sample;
      const error = mapGraphError(sample.status ?? 400, JSON.stringify(body));
      expect(error.graphCode).toBe(Number(name.split('-')[0]));
      expect(error.category).not.toBe('unknown');
    },
  );

  test('a body that is not JSON still maps, by HTTP status only', () => {
    const error = mapGraphError(502, '<html>Bad Gateway</html>');
    expect(error).toMatchObject({ code: 'http_502', category: 'transient', retryable: true, graphCode: undefined });
    expect(mapGraphError(404, 'nope')).toMatchObject({ code: 'http_404', category: 'unknown', retryable: false });
    expect(mapGraphError(400, undefined)).toMatchObject({ category: 'unknown' });
  });

  test('error_data may be a plain string (template management)', () => {
    const error = mapGraphError(400, JSON.stringify({ error: { code: 2388299, message: 'Invalid parameter', error_data: 'Variables can\'t be at the start or end' } }));
    expect(error).toMatchObject({ category: 'template', details: 'Variables can\'t be at the start or end' });
  });

  test('webhook error items map with the same table', () => {
    const error = mapWebhookError({ code: 131047, title: 'Re-engagement message', error_data: { details: 'more than 24 hours' } });
    expect(error).toMatchObject({ graphCode: 131047, category: 'window', details: 'more than 24 hours' });
  });

  test('unknown codes are never guessed', () => {
    expect(mapGraphError(400, JSON.stringify({ error: { code: 999999, message: 'rate limit hit' } }))).toMatchObject({ category: 'unknown', retryable: false });
  });
});

describe('error classes', () => {
  test('brand survives a second copy of the library; toJSON has no secret', () => {
    const token = 'EAAG-secret-token';
    const errors: WhatsAppError[] = [
      new ValidationError('text.body', '5000 characters, the limit is 4096'),
      new WindowClosedError('+14155551234'),
      new NetworkError('POST http://127.0.0.1/v25.0/1/messages failed: ECONNRESET', true),
      mapGraphError(401, JSON.stringify({ error: { code: 190, message: 'Error validating access token' } })),
    ];
    for (const error of errors) {
      expect(isWhatsAppError(error)).toBe(true);
      expect(JSON.stringify(error)).not.toContain(token);
      expect(error.toJSON()).toMatchObject({ code: expect.any(String), category: expect.any(String), hint: expect.any(String) });
    }
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@wa-cloud/core/WhatsAppError')]: true });
    expect(isWhatsAppError(foreign)).toBe(true);
    expect(isWhatsAppError(new Error('x'))).toBe(false);
    expect(errors[0]).toMatchObject({ field: 'text.body', message: 'text.body: 5000 characters, the limit is 4096' });
    expect(errors[2]).toMatchObject({ code: 'delivery_unknown', category: 'network', retryable: false });
  });
});
