/**
 * Editor endpoints under `RED.httpAdmin`, guarded like Node-RED's own admin routes
 * (`RED.auth.needsPermission`): the approved templates with their parameters (send node form), and
 * the connection diagnosis behind the config node's "Test connection" button.
 *
 * The editor posts the config node's id and what is typed in its form; secrets left as the saved
 * placeholder are taken from the saved credentials, so they never travel to the browser.
 */
import { GraphApi, WhatsAppError, diagnose, listTemplates, templateParameters } from './core';
import { editorConnection, type ConnectionSettings, type Secrets } from './connection';
import { errorBody } from './errors';
import type { NodeAPI, Request, Response } from './node-red';

const ROUTE = '/whatsapp-cloud';
const registered = new WeakSet<object>();

interface SavedConfig {
  settings?: ConnectionSettings;
  credentials?: Secrets;
}

function saved(RED: NodeAPI, id: unknown): SavedConfig {
  if (typeof id !== 'string' || !id) return {};
  const live = RED.nodes.getNode(id) as SavedConfig | null;
  if (live) return { settings: live.settings, credentials: live.credentials };
  return { credentials: (RED.nodes.getCredentials(id) as Secrets | undefined) ?? {} };
}

function connection(RED: NodeAPI, req: Request): ConnectionSettings {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  return editorConnection(body, saved(RED, body.id));
}

function token(settings: ConnectionSettings): string {
  if (!settings.accessToken) {
    throw new WhatsAppError('Access Token is not set', { code: 'invalid_option', category: 'validation', hint: 'Type the access token in the config node (or save it first).' });
  }
  return settings.accessToken;
}

async function withGraph<T>(settings: ConnectionSettings, work: (graph: GraphApi) => Promise<T>): Promise<T> {
  const graph = new GraphApi({ accessToken: token(settings), apiVersion: settings.apiVersion, baseUrl: settings.baseUrl });
  try {
    return await work(graph);
  } finally {
    await graph.close();
  }
}

function fail(res: Response, error: unknown): void {
  const status = (error as { category?: string })?.category === 'validation' ? 400 : 502;
  res.status(status).json(errorBody(error));
}

/** Registers the routes once per runtime (every config node module load calls this). */
export function registerAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const canRead = RED.auth.needsPermission('whatsapp-cloud-config.read');

  RED.httpAdmin.post(`${ROUTE}/templates`, canRead, (req: Request, res: Response) => {
    const settings = connection(RED, req);
    const wabaId = settings.wabaId;
    if (!wabaId) {
      fail(res, new WhatsAppError('WhatsApp Business Account ID is not set', { code: 'invalid_option', category: 'validation', hint: 'Add the WABA ID to the config node: templates belong to the account.' }));
      return;
    }
    Promise.resolve()
      .then(() => withGraph(settings, (graph) => listTemplates(graph, wabaId, { status: 'APPROVED' })))
      .then((list) => {
        const templates = list
          .map((t) => {
            // One template this version cannot fill must not hide the others: it is listed with the reason.
            try {
              return { name: t.name, language: t.language, category: t.category, parameters: templateParameters(t) };
            } catch (error) {
              return { name: t.name, language: t.language, category: t.category, parameters: [], unsupported: (error as Error).message };
            }
          })
          .sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
        res.json({ templates });
      })
      .catch((error) => fail(res, error));
  });

  RED.httpAdmin.post(`${ROUTE}/diagnose`, canRead, (req: Request, res: Response) => {
    const settings = connection(RED, req);
    Promise.resolve()
      .then(() => {
        const phoneNumberId = settings.phoneNumberId;
        if (!phoneNumberId) {
          throw new WhatsAppError('Phone Number ID is not set', { code: 'invalid_option', category: 'validation', hint: 'Copy the Phone number ID from WhatsApp Manager → API Setup.' });
        }
        return withGraph(settings, (graph) => diagnose({ graph, phoneNumberId, wabaId: settings.wabaId }));
      })
      .then((report) => res.json(report))
      .catch((error) => fail(res, error));
  });
}
