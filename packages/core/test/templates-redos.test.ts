/**
 * Template text is parsed in linear time and Meta's own template text is bounded (issue #19): the
 * placeholder regex and the link-shortener check used to backtrack on long text, and a template
 * read from a broken or hostile base URL was parsed whatever its length.
 */
import { ValidationError } from '../src';
import { placeholders } from '../src/templates/variables';
import { templateParameters, MAX_TEMPLATE_TEXT } from '../src/templates/parameters';
import { validateTemplateDefinition } from '../src/templates/validate';

const withUrl = (url: string, body = 'Hello there, see the link.') => ({
  name: 'promo',
  language: 'en_US',
  category: 'MARKETING' as const,
  components: [{ type: 'BODY', text: body }, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Open', url }] }],
});

describe('template text parsing', () => {
  test('placeholders: names trimmed as before; an unclosed "{{" with long white space finds nothing', () => {
    expect(placeholders('Hi {{ 1 }}, order {{order_id}}.').map((p) => p.name)).toEqual(['1', 'order_id']);
    expect(placeholders('{{' + ' '.repeat(4000) + 'x')).toEqual([]);
  });

  // On the code before the fix this did not return within the timeout (quadratic regex on 200 kB).
  test("Meta's template text above every Meta limit is refused before parsing, naming the part", () => {
    const text = '{{' + ' '.repeat(200_000);
    let error: unknown;
    try {
      templateParameters({ name: 'x', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text }] } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(`body.text: ${text.length} characters, more than any template Meta accepts (${MAX_TEMPLATE_TEXT})`);
  }, 5000);

  test('the link-shortener check finds the same hosts as before', () => {
    for (const url of ['https://bit.ly/abc', 'http://www.bit.ly/x?y=1', 'https://tinyurl.com/abc']) {
      expect(() => validateTemplateDefinition(withUrl(url))).toThrow(/link shortener/);
    }
    expect(() => validateTemplateDefinition(withUrl('https://example.com/bitly'))).not.toThrow();
    expect(() => validateTemplateDefinition(withUrl('https://example.com/x', 'Go to foo..bit.ly/x now.'))).toThrow(/link shortener bit\.ly/);
    expect(() => validateTemplateDefinition(withUrl('https://example.com/x', 'Our site bit.ly. is not a link.'))).not.toThrow();
  });

  test('a 2,000-character URL button of every shape is checked (timing: npm run bench)', () => {
    for (const url of ['https://' + 'a'.repeat(1990) + '!', 'https://' + 'a.'.repeat(995) + 'a!', 'https://' + 'a-'.repeat(995) + '.b']) {
      expect(() => validateTemplateDefinition(withUrl(url))).not.toThrow(/link shortener/);
    }
  });
});
