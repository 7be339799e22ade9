/**
 * Editor endpoints under `RED.httpAdmin`: the approved templates with their parameters (send node
 * form), and the connection diagnosis behind the config node's "Test connection" button.
 *
 * Both make outbound requests with a secret, so they are guarded like Node-RED's own inject
 * button: `whatsapp-cloud-config.write` (a read-only editor user gets 403), and every request is
 * checked by ./admin-request.ts before anything leaves the process (JSON only, known fields,
 * bounded lengths, a config node id of the right type, saved secrets only towards Meta's Graph host
 * or the saved base URL, `${NAME}` only from the operator's allow-list). Secrets left as the saved
 * placeholder are taken from the saved node, so they never travel to the browser.
 */
import { GraphApi, WhatsAppError, diagnose, isGraphOrigin, listTemplates, sameBaseUrl, templateParameters } from './core';
import { type ConnectionSettings } from './connection';
import { AdminRequestError, allowedEnv, checkBody, checkFraming, editorConnection, savedConfig } from './admin-request';
import { errorBody } from './errors';
import { OPAQUE_FAILURE, OpaqueTransport } from './opaque-transport';
import type { Handler, NodeAPI, Request, Response } from './node-red';

const ROUTE = '/whatsapp-cloud';
const registered = new WeakSet<object>();

/** The checked connection of an editor request, and whether it goes to a place the operator saved. */
interface Checked {
  settings: ConnectionSettings;
  /** Meta's Graph host or the saved base URL: answers (and errors) may be shown as they are. */
  trusted: boolean;
}

function connection(RED: NodeAPI, req: Request): Checked {
  checkFraming(req.headers);
  const fields = checkBody(req.body);
  const saved = savedConfig((id) => RED.nodes.getNode(id), fields.id);
  const settings = editorConnection(fields, saved, allowedEnv(RED.settings ?? {}));
  const trusted = isGraphOrigin(settings.baseUrl ?? 'https://graph.facebook.com') || (saved !== undefined && sameBaseUrl(settings.baseUrl, saved.settings.baseUrl));
  return { settings, trusted };
}

function token(settings: ConnectionSettings): string {
  if (!settings.accessToken) {
    throw new WhatsAppError('Access Token is not set', { code: 'invalid_option', category: 'validation', hint: 'Type the access token in the config node (or save it first).' });
  }
  return settings.accessToken;
}

/** A Graph connection for one editor request; a typed base URL goes through the opaque transport. */
async function withGraph<T>(checked: Checked, work: (graph: GraphApi) => Promise<T>): Promise<T> {
  const { settings, trusted } = checked;
  const transport = trusted ? undefined : new OpaqueTransport();
  try {
    const graph = new GraphApi({ accessToken: token(settings), apiVersion: settings.apiVersion, baseUrl: settings.baseUrl, transport });
    try {
      return await work(graph);
    } finally {
      await graph.close();
    }
  } finally {
    await transport?.close();
  }
}

/**
 * Answers a failed request. Checks of the request answer with their own status; an answer from
 * Meta's host or the saved base URL is passed on (the operator chose that host), and so is an error
 * in Graph's own shape. Anything else from a typed base URL becomes one generic answer, so the routes cannot be used to learn which
 * internal hosts exist or what they say.
 */
function fail(res: Response, error: unknown, trusted: boolean): void {
  if (error instanceof AdminRequestError) {
    res.status(error.status).json(errorBody(error));
    return;
  }
  if ((error as { category?: string })?.category === 'validation') {
    res.status(400).json(errorBody(error));
    return;
  }
  // An error in Graph's own shape ({"error": {"code": …}}) says nothing about a network.
  const graphShaped = typeof (error as { graphCode?: unknown })?.graphCode === 'number';
  if (trusted || graphShaped) {
    res.status(502).json(errorBody(error));
    return;
  }
  const generic = new WhatsAppError(OPAQUE_FAILURE, {
    code: 'base_url_unusable',
    category: 'network',
    hint: 'Check the base URL (Meta\'s is https://graph.facebook.com; the sandbox prints its own) and the token.',
  });
  res.status(502).json(errorBody(generic));
}

/** Runs a route: the request is checked first; any failure is answered by {@link fail}. */
function handle<T>(RED: NodeAPI, work: (checked: Checked) => Promise<T>) {
  return (req: Request, res: Response) => {
    let trusted = false;
    Promise.resolve()
      .then(() => {
        const checked = connection(RED, req);
        trusted = checked.trusted;
        return work(checked);
      })
      .then((result) => res.json(result))
      .catch((error) => fail(res, error, trusted));
  };
}

/**
 * Node-RED's permission check, answering 403 (not Node-RED's 401) to a user who is logged in but
 * lacks the permission: the editor then says "forbidden" instead of asking to log in again. An
 * unauthenticated request keeps Node-RED's 401.
 */
function forbiddenWithout(RED: NodeAPI, permission: string): Handler {
  const check = RED.auth.needsPermission(permission);
  return (req, res, next) => {
    const status = res.status;
    res.status = (code: number) => status.call(res, code === 401 && (req as { user?: unknown }).user ? 403 : code);
    check(req, res, (err?: unknown) => {
      res.status = status;
      next(err);
    });
  };
}

/** Registers the routes once per runtime (every config node module load calls this). */
export function registerAdminRoutes(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  // Outbound requests with a secret: write permission, like Node-RED's own inject button.
  const canWrite = forbiddenWithout(RED, 'whatsapp-cloud-config.write');

  RED.httpAdmin.post(
    `${ROUTE}/templates`,
    canWrite,
    handle(RED, async (checked) => {
      const wabaId = checked.settings.wabaId;
      if (!wabaId) {
        throw new WhatsAppError('WhatsApp Business Account ID is not set', { code: 'invalid_option', category: 'validation', hint: 'Add the WABA ID to the config node: templates belong to the account.' });
      }
      const list = await withGraph(checked, (graph) => listTemplates(graph, wabaId, { status: 'APPROVED' }));
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
      return { templates };
    }),
  );

  RED.httpAdmin.post(
    `${ROUTE}/diagnose`,
    canWrite,
    handle(RED, async (checked) => {
      const phoneNumberId = checked.settings.phoneNumberId;
      if (!phoneNumberId) {
        throw new WhatsAppError('Phone Number ID is not set', { code: 'invalid_option', category: 'validation', hint: 'Copy the Phone number ID from WhatsApp Manager → API Setup.' });
      }
      return withGraph(checked, (graph) => diagnose({ graph, phoneNumberId, wabaId: checked.settings.wabaId }));
    }),
  );
}
