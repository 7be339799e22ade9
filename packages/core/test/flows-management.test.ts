import { startSandbox, type Sandbox } from '@wa-cloud/sandbox';
import { GraphApi } from '../src/http/graph-api';
import { GraphApiError, ValidationError } from '../src/errors/error-classes';
import { getFlowEndpoint, getFlowPreview, listFlows, publishFlow, setFlowEndpoint } from '../src/flows/management';

let sb: Sandbox;
let graph: GraphApi;

beforeAll(async () => {
  sb = await startSandbox({});
  graph = new GraphApi({ accessToken: sb.accessToken, baseUrl: sb.url });
});
afterAll(async () => {
  await graph.close();
  await sb.close();
});

describe('Flow management against the sandbox', () => {
  it('lists the WABA flows with status and validation errors', async () => {
    const flows = await listFlows(graph, sb.wabaId);
    expect(flows.map((f) => [f.name, f.status])).toEqual([
      ['appointment_booking', 'PUBLISHED'],
      ['lead_form', 'DRAFT'],
      ['broken_survey', 'DRAFT'],
    ]);
    expect(flows[2]!.validationErrors).toHaveLength(1);
    expect(sb.requests.at(-1)).toMatchObject({ method: 'GET', path: expect.stringMatching(new RegExp(`^/v\\d+\\.\\d+/${sb.wabaId}/flows$`)) });
  });

  it('gets a preview URL, and a new one when invalidated', async () => {
    const first = await getFlowPreview(graph, '400000000000002');
    expect(sb.requests.at(-1)!.query.fields).toBe('preview.invalidate(false)');
    const second = await getFlowPreview(graph, '400000000000002', { invalidate: true });
    expect(sb.requests.at(-1)!.query.fields).toBe('preview.invalidate(true)');
    expect(first.previewUrl).toMatch(/^https:\/\/business\.facebook\.com\/wa\/manage\/flows\/400000000000002\/preview/);
    expect(second.previewUrl).not.toBe(first.previewUrl);
    expect(second.expiresAt).toBeDefined();
  });

  it('publishes a draft: the sandbox records it PUBLISHED; a draft with errors is refused with Meta\'s code', async () => {
    await expect(publishFlow(graph, '400000000000002')).resolves.toEqual({ success: true, flowId: '400000000000002' });
    expect(sb.flows.find((f) => f.id === '400000000000002')!.status).toBe('PUBLISHED');
    const error = await publishFlow(graph, '400000000000003').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect((error as GraphApiError).graphCode).toBe(139001);
  });

  it('refuses ids that are not ids before any request', async () => {
    const before = sb.requests.length;
    await expect(publishFlow(graph, 'lead_form')).rejects.toThrow(ValidationError);
    await expect(listFlows(graph, '')).rejects.toThrow('wabaId');
    expect(sb.requests.length).toBe(before);
  });

  it('sets and reads a Flow\'s endpoint_uri; Meta\'s host gets https only', async () => {
    expect(await getFlowEndpoint(graph, '400000000000001')).toBeUndefined();
    await expect(setFlowEndpoint(graph, '400000000000001', 'http://127.0.0.1:5678/webhook/x/whatsapp-flow')).resolves.toEqual({ success: true });
    expect(sb.requests.at(-1)).toMatchObject({ method: 'POST', body: { endpoint_uri: 'http://127.0.0.1:5678/webhook/x/whatsapp-flow' } });
    expect(await getFlowEndpoint(graph, '400000000000001')).toBe('http://127.0.0.1:5678/webhook/x/whatsapp-flow');
    const meta = new GraphApi({ accessToken: 'x' });
    await expect(setFlowEndpoint(meta, '400000000000001', 'http://example.com/flow')).rejects.toThrow('endpointUri: must be an https:// URL');
    await meta.close();
  });
});
