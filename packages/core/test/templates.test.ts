import { GraphApiError, ValidationError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';
import {
  buildTemplateComponents,
  createTemplate,
  deleteTemplate,
  findTemplate,
  getTemplate,
  listTemplates,
  templateParameters,
  validateTemplateDefinition,
  type MessageTemplate,
  type TemplateDefinition,
} from '../src/templates';
import { LoopbackServer, graphError } from './support/loopback-server';

const TOKEN = 'EAAtemplates';
let server: LoopbackServer;
let graph: GraphApi;
beforeEach(async () => {
  server = await LoopbackServer.start();
  graph = new GraphApi({ accessToken: TOKEN, baseUrl: server.url, apiVersion: 'v25.0' });
});
afterEach(async () => {
  await graph.close();
  await server.close();
});

const query = (i: number) => new URL(server.requests[i]!.url, 'http://x').searchParams;
const tpl = (id: string, status = 'APPROVED', language = 'en_US', name = `t${id}`): MessageTemplate => ({ id, name, language, status, category: 'UTILITY', components: [] });

describe('listTemplates', () => {
  it('follows every page with the after cursor and filters', async () => {
    server.responder = (_req, i) =>
      i === 0
        ? { json: { data: [tpl('1'), tpl('2', 'REJECTED')], paging: { cursors: { after: 'CUR1' }, next: 'https://graph/next' } } }
        : { json: { data: [tpl('3')], paging: { cursors: { after: 'CUR2' } } } };
    const result = await listTemplates(graph, 'WABA', { status: 'APPROVED', limit: 2 });
    expect(result.map((t) => t.id)).toEqual(['1', '3']);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.method).toBe('GET');
    expect(new URL(server.requests[0]!.url, 'http://x').pathname).toBe('/v25.0/WABA/message_templates');
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(query(0).get('status')).toBe('APPROVED');
    expect(query(0).get('limit')).toBe('2');
    expect(query(0).get('fields')).toContain('components');
    expect(query(0).get('after')).toBeNull();
    expect(query(1).get('after')).toBe('CUR1');
  });

  it('filters by name and language exactly (findTemplate)', async () => {
    server.responder = () => ({ json: { data: [tpl('1', 'APPROVED', 'en', 'order'), tpl('2', 'APPROVED', 'en_US', 'order'), tpl('3', 'APPROVED', 'en_US', 'order_v2')] } });
    expect((await findTemplate(graph, 'W', 'order', 'en_US'))?.id).toBe('2');
    expect(query(0).get('name')).toBe('order');
    expect(query(0).get('language')).toBe('en_US');
  });

  it('restarts once from the first page on an invalid cursor (131059)', async () => {
    server.responder = (_req, i) => {
      if (i === 1) return graphError(400, 131059, '(#131059) invalid cursor');
      return { json: { data: [tpl(String(i))], paging: i === 0 ? { cursors: { after: 'C' }, next: 'n' } : {} } };
    };
    const result = await listTemplates(graph, 'W');
    expect(result.map((t) => t.id)).toEqual(['2']);
    expect(query(2).get('after')).toBeNull();
  });

  it('stops at maxPages', async () => {
    server.responder = (_req, i) => ({ json: { data: [tpl(String(i))], paging: { cursors: { after: `C${i}` }, next: 'n' } } });
    expect(await listTemplates(graph, 'W', { maxPages: 3 })).toHaveLength(3);
    expect(server.requests).toHaveLength(3);
  });
});

describe('getTemplate, createTemplate, deleteTemplate', () => {
  it('gets by id', async () => {
    server.responder = () => ({ json: tpl('77') });
    expect((await getTemplate(graph, '77')).id).toBe('77');
    expect(new URL(server.requests[0]!.url, 'http://x').pathname).toBe('/v25.0/77');
  });

  const valid: TemplateDefinition = {
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1'] } },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.', example: { body_text: [['Ana', '#1']] } },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example/track/{{1}}', example: ['https://shop.example/track/1'] }] },
    ],
  };

  it('creates: posts the definition as JSON', async () => {
    server.responder = () => ({ json: { id: '594425479261596', status: 'PENDING', category: 'UTILITY' } });
    expect(await createTemplate(graph, 'W', valid)).toEqual({ id: '594425479261596', status: 'PENDING', category: 'UTILITY' });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v25.0/W/message_templates');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.json).toEqual(valid);
  });

  it('refuses an invalid definition before any request', async () => {
    const bad = { ...valid, components: [{ type: 'BODY', text: '{{1}} shipped.', example: { body_text: [['x']] } }] };
    await expect(createTemplate(graph, 'W', bad)).rejects.toThrow(/components\[0\]\.text: a variable cannot be at the start/);
    expect(server.requests).toHaveLength(0);
  });

  it('maps Meta template errors', async () => {
    server.responder = () => graphError(400, 2388299, '(#2388299) Variables can\'t be at the start or end');
    const error = await createTemplate(graph, 'W', valid).catch((e) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error.category).toBe('template');
  });

  it('deletes by name, or one language with hsm_id', async () => {
    server.responder = () => ({ json: { success: true } });
    expect(await deleteTemplate(graph, 'W', { name: 'order_update' })).toBe(true);
    expect(await deleteTemplate(graph, 'W', { name: 'order_update', id: '123' })).toBe(true);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /v25.0/W/message_templates?name=order_update',
      'DELETE /v25.0/W/message_templates?name=order_update&hsm_id=123',
    ]);
    await expect(deleteTemplate(graph, 'W', { name: '' })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('validateTemplateDefinition', () => {
  const body = (text: string, example?: unknown): TemplateDefinition => ({
    name: 'x',
    language: 'en',
    category: 'MARKETING',
    components: [{ type: 'BODY', text, ...(example ? { example: example as any } : {}) }],
  });
  const named = (text: string, params: string[]): TemplateDefinition => ({
    ...body(text),
    parameter_format: 'named',
    components: [{ type: 'BODY', text, example: { body_text_named_params: params.map((p) => ({ param_name: p, example: 'v' })) } }],
  });

  it('accepts good positional and named definitions', () => {
    expect(() => validateTemplateDefinition(body('Hello {{1}}, code {{2}}.', { body_text: [['a', 'b']] }))).not.toThrow();
    expect(() => validateTemplateDefinition(named('Hi {{first_name}}, order {{order_id}} ok.', ['first_name', 'order_id']))).not.toThrow();
    expect(() => validateTemplateDefinition(body('No variables at all'))).not.toThrow();
  });

  it.each([
    ['gap in numbering', body('Hi {{1}} and {{3}} ok', { body_text: [['a', 'b']] }), /components\[0\]\.text: variables must be numbered \{\{1\}\} to \{\{2\}\}/],
    ['not starting at 1', body('Hi {{2}} ok', { body_text: [['a']] }), /found \{\{2\}\} where \{\{1\}\} was expected/],
    ['variable at the start', body('{{1}} is here', { body_text: [['a']] }), /start of the body/],
    ['variable at the end', body('Code: {{1}}', { body_text: [['a']] }), /end of the body/],
    ['variable at the end after spaces', body('Code: {{1}}  \n', { body_text: [['a']] }), /end of the body/],
    ['adjacent variables', body('Hi {{1}} {{2}} ok', { body_text: [['a', 'b']] }), /next to each other/],
    ['missing examples', body('Hi {{1}} ok'), /components\[0\]\.example\.body_text: one example value per variable/],
    ['named in a positional template', body('Hi {{name}} ok', { body_text: [['a']] }), /parameter_format is "positional"/],
    ['positional in a named template', named('Hi {{1}} ok', []), /parameter_format is "named"/],
    ['bad name', named('Hi {{First}} ok', ['First']), /not a valid name/],
    ['missing named example', named('Hi {{a}} ok', []), /example value for \{\{a\}\}/],
    ['shortener', body('See bit.ly/abc now'), /components\[0\]\.text: contains the link shortener bit\.ly/],
    ['body too long', body('x'.repeat(1025)), /1025 characters, the limit is 1024/],
    ['bad name format', { ...body('Hi'), name: 'Order Update' }, /^name: /],
    ['bad category', { ...body('Hi'), category: 'PROMO' as any }, /^category: /],
    ['no body', { ...body('Hi'), components: [{ type: 'FOOTER', text: 'f' }] }, /a BODY component is required/],
    ['two bodies', { ...body('Hi'), components: [{ type: 'BODY', text: 'a' }, { type: 'BODY', text: 'b' }] }, /at most one BODY/],
  ])('rejects %s', (_name, def, message) => {
    let thrown: unknown;
    try {
      validateTemplateDefinition(def as TemplateDefinition);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as Error).message).toMatch(message);
  });

  it.each([
    ['header over 60', { type: 'HEADER', format: 'TEXT', text: 'h'.repeat(61) }, /components\[0\]\.text: 61 characters, the limit is 60/],
    ['header with 2 variables', { type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}', example: { header_text: ['a'] } }, /at most 1 variable/],
    ['media header without handle', { type: 'HEADER', format: 'IMAGE' }, /example\.header_handle/],
    ['footer variable', { type: 'FOOTER', text: 'Bye {{1}}' }, /footer cannot have variables/],
    ['button text over 25', { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'q'.repeat(26) }] }, /buttons\[0\]\.text: 26 characters, the limit is 25/],
    ['URL variable not at end', { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'https://a.example/{{1}}/x', example: ['u'] }] }, /at the end of the URL/],
    ['URL shortener', { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'https://tinyurl.com/abc' }] }, /buttons\[0\]\.url: contains the link shortener tinyurl\.com/],
    ['three URL buttons', { type: 'BUTTONS', buttons: [1, 2, 3].map((n) => ({ type: 'URL', text: `b${n}`, url: 'https://a.example' })) }, /3 URL buttons, the limit is 2/],
    ['coupon over 15', { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'C'.repeat(16) }] }, /buttons\[0\]\.example: 16 characters, the limit is 15/],
  ])('rejects %s', (_name, component, message) => {
    const def: TemplateDefinition = { name: 'x', language: 'en_US', category: 'MARKETING', components: [component as any, { type: 'BODY', text: 'Body' }] };
    expect(() => validateTemplateDefinition(def)).toThrow(message);
  });

  it('authentication templates need no body text', () => {
    expect(() =>
      validateTemplateDefinition({
        name: 'otp',
        language: 'en_US',
        category: 'AUTHENTICATION',
        components: [{ type: 'BODY', add_security_recommendation: true }, { type: 'FOOTER', code_expiration_minutes: 5 }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }],
      }),
    ).not.toThrow();
  });
});

describe('templateParameters and buildTemplateComponents', () => {
  const positional: MessageTemplate = {
    id: '1',
    name: 'order_shipped',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://scontent.example/h'] } },
      { type: 'BODY', text: 'Hi {{1}}, order {{2}} is on its way. Total {{3}}. Thanks {{1}}!', example: { body_text: [['Ana', '#12', '$5']] } },
      { type: 'FOOTER', text: 'Shop' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Track', url: 'https://shop.example/t/{{1}}', example: ['https://shop.example/t/12'] },
          { type: 'QUICK_REPLY', text: 'Stop' },
          { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+15550001111' },
          { type: 'COPY_CODE', example: 'SAVE10' },
        ],
      },
    ],
  };

  it('lists header, body and button parameters in send order', () => {
    expect(templateParameters(positional)).toEqual([
      { key: 'header', component: 'header', format: 'image', required: true, example: 'https://scontent.example/h' },
      { key: 'body.1', component: 'body', position: 1, format: 'text', required: true, example: 'Ana' },
      { key: 'body.2', component: 'body', position: 2, format: 'text', required: true, example: '#12' },
      { key: 'body.3', component: 'body', position: 3, format: 'text', required: true, example: '$5' },
      { key: 'button.0', component: 'button', index: 0, label: 'Track', format: 'text', subType: 'url', required: true, example: 'https://shop.example/t/12' },
      { key: 'button.1', component: 'button', index: 1, label: 'Stop', format: 'payload', subType: 'quick_reply', required: false },
      { key: 'button.3', component: 'button', index: 3, format: 'coupon_code', subType: 'copy_code', required: true, example: 'SAVE10' },
    ]);
  });

  it('builds the send components', () => {
    const components = buildTemplateComponents(positional, {
      header: 'https://cdn.example/box.jpg',
      'body.1': 'Ana',
      'body.2': '#12',
      'body.3': { fallback_value: '$5.00', code: 'USD', amount_1000: 5000 },
      'button.0': '12',
      'button.3': 'SAVE10',
    });
    expect(components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example/box.jpg' } }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana' },
          { type: 'text', text: '#12' },
          { type: 'currency', currency: { fallback_value: '$5.00', code: 'USD', amount_1000: 5000 } },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '12' }] },
      { type: 'button', sub_type: 'copy_code', index: '3', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] },
    ]);
  });

  it('a media id header and an optional quick-reply payload', () => {
    const components = buildTemplateComponents(positional, { header: '1234567', 'body.1': 'a', 'body.2': 'b', 'body.3': 3, 'button.0': 'x', 'button.1': 'STOP_PAYLOAD', 'button.3': 'C' });
    expect(components[0]).toEqual({ type: 'header', parameters: [{ type: 'image', image: { id: '1234567' } }] });
    expect(components).toContainEqual({ type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP_PAYLOAD' }] });
  });

  it.each([
    [{ 'body.1': 'a' }, /components\.header: a value for header image is required by template "order_shipped"/],
    [{ header: 'x', 'body.1': 'a', 'body.3': 'c', 'button.0': 'x', 'button.3': 'c' }, /components\.body\.2: a value for body \{\{2\}\} is required/],
    [{ header: 'x', 'body.1': '  ', 'body.2': 'b', 'body.3': 'c' }, /components\.body\.1/],
    [{ header: 'x', 'body.9': 'a' }, /components\.body\.9: template "order_shipped" has no parameter "body\.9"/],
    [{ header: 'x', 'body.1': 'two\nlines', 'body.2': 'b', 'body.3': 'c', 'button.0': 'x', 'button.3': 'c' }, /new lines, tabs/],
  ])('throws a ValidationError naming the parameter (%#)', (values, message) => {
    expect(() => buildTemplateComponents(positional, values)).toThrow(message);
  });

  it('named templates carry parameter_name', () => {
    const template: MessageTemplate = {
      id: '2',
      name: 'welcome',
      language: 'en',
      status: 'APPROVED',
      category: 'MARKETING',
      parameter_format: 'NAMED',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hi {{first_name}}', example: { header_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] } },
        { type: 'BODY', text: 'Your code {{code}} expires {{when}}.', example: { body_text_named_params: [{ param_name: 'code', example: 'X1' }, { param_name: 'when', example: 'soon' }] } },
        { type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Open' }] },
      ],
    };
    expect(templateParameters(template).map((p) => [p.key, p.name, p.example, p.required])).toEqual([
      ['header.first_name', 'first_name', 'Ana', true],
      ['body.code', 'code', 'X1', true],
      ['body.when', 'when', 'soon', true],
      ['button.0', undefined, undefined, false],
    ]);
    expect(buildTemplateComponents(template, { 'header.first_name': 'Ana', 'body.when': 'Friday', 'body.code': 'X1', 'button.0': 'tok' })).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'Ana', parameter_name: 'first_name' }] },
      { type: 'body', parameters: [{ type: 'text', text: 'X1', parameter_name: 'code' }, { type: 'text', text: 'Friday', parameter_name: 'when' }] },
      { type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action', action: { flow_token: 'tok' } }] },
    ]);
  });

  it('authentication OTP: body code and the url button parameter', () => {
    const otp: MessageTemplate = {
      id: '3', name: 'otp', language: 'en_US', status: 'APPROVED', category: 'AUTHENTICATION',
      components: [{ type: 'BODY', text: '*{{1}}* is your verification code.' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] }],
    };
    expect(templateParameters(otp)).toEqual([{ key: 'code', component: 'otp', format: 'otp', subType: 'COPY_CODE', required: true }]);
    expect(buildTemplateComponents(otp, { code: '123456' })).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '123456' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] },
    ]);
  });

  it('a location header', () => {
    const t: MessageTemplate = { id: '4', name: 'loc', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'HEADER', format: 'LOCATION' }, { type: 'BODY', text: 'Here' }] };
    expect(buildTemplateComponents(t, { header: { latitude: 1.5, longitude: 2, name: 'Shop' } })).toEqual([
      { type: 'header', parameters: [{ type: 'location', location: { latitude: 1.5, longitude: 2, name: 'Shop' } }] },
    ]);
    expect(() => buildTemplateComponents(t, { header: { latitude: '1' } })).toThrow(/numeric coordinates/);
  });
});
