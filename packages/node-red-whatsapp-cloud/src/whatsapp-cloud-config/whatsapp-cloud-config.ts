/**
 * `whatsapp-cloud-config`: one WhatsApp business phone number. Like Node-RED's mqtt-broker node it
 * owns the connection (one core client, on the process-wide limiter of its number and the shared
 * window tracker) and every send/webhook node that uses it registers here for status fan-out.
 */
import { WhatsAppClient, WhatsAppError, findTemplate, sharedLimiter, sharedWindowTracker, type MessageTemplate } from '../lib/core';
import { CREDENTIALS_DEFINITION, configSettings } from '../lib/connection';
import { registerAdminRoutes } from '../lib/admin';
import { toNodeRedError } from '../lib/errors';
import type { NodeAPI, NodeDef, NodeStatus } from '../lib/node-red';
import type { ConfigNode, UserNode } from '../lib/types';

/** Categories that concern the whole number, not one message. */
const ACCOUNT_WIDE = new Set(['auth', 'policy', 'rate_limit']);
const TEMPLATE_TTL_MS = 5 * 60_000;

function missing(field: string, hint: string): WhatsAppError {
  return new WhatsAppError(`${field} is not set on the WhatsApp Cloud config node`, { code: 'invalid_option', category: 'validation', hint });
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudConfigNode(this: ConfigNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const users = new Set<UserNode>();
    const inflight = new Set<Promise<unknown>>();
    const templates = new Map<string, { at: number; template: Promise<MessageTemplate> }>();
    let accountStatus: NodeStatus | undefined;

    node.name = def.name as string | undefined;
    node.settings = configSettings(def, node.credentials ?? {});
    const s = node.settings;

    try {
      if (!s.accessToken) throw missing('Access Token', 'Open the config node and paste a System User access token (or ${ENV_VAR}).');
      if (!s.phoneNumberId) throw missing('Phone Number ID', 'Copy the Phone number ID from WhatsApp Manager → API Setup.');
      node.client = new WhatsAppClient({
        accessToken: s.accessToken,
        phoneNumberId: s.phoneNumberId,
        wabaId: s.wabaId,
        apiVersion: s.apiVersion,
        baseUrl: s.baseUrl,
        limiter: sharedLimiter(s.phoneNumberId, { throughput: s.throughput }),
        window: {
          policy: s.windowPolicy,
          tracker: sharedWindowTracker(),
          fallbackTemplate: s.fallbackTemplate ? { name: s.fallbackTemplate, languageCode: s.fallbackLanguage ?? 'en_US' } : undefined,
        },
      });
    } catch (error) {
      node.configError = error instanceof WhatsAppError ? error : (toNodeRedError(error) as never);
      node.error(toNodeRedError(error).message);
    }

    const notReady = (): Promise<never> => Promise.reject(node.configError ?? missing('Access Token', 'Check the config node.'));

    node.track = <T>(work: Promise<T>): Promise<T> => {
      inflight.add(work);
      const forget = () => inflight.delete(work);
      work.then(forget, forget);
      return work;
    };

    node.sendMessage = (message: unknown) => (node.client ? node.track(node.client.send(message)) : notReady());

    node.template = (name: string, language: string) => {
      if (!node.client) return notReady();
      if (!s.wabaId) return Promise.reject(missing('WhatsApp Business Account ID', 'Templates are read from the WABA: add its ID to the config node.'));
      const key = `${name}\u0000${language}`;
      const cached = templates.get(key);
      if (cached && Date.now() - cached.at < TEMPLATE_TTL_MS) return cached.template;
      const lookup = findTemplate(node.client.graph, s.wabaId, name, language).then((found: MessageTemplate | undefined) => {
        if (!found) {
          throw new WhatsAppError(`Template "${name}" (${language}) does not exist in this WhatsApp Business Account`, {
            code: 'template_not_found',
            category: 'template',
            hint: 'Check the template name and language in WhatsApp Manager → Message templates (names are lower case).',
          });
        }
        return found;
      });
      templates.set(key, { at: Date.now(), template: lookup });
      lookup.catch(() => templates.delete(key));
      return node.track(lookup);
    };

    const initial = (): NodeStatus | undefined =>
      node.configError ? { fill: 'red', shape: 'ring', text: node.configError.code === 'invalid_option' ? 'config incomplete' : node.configError.code } : undefined;

    node.register = (user) => {
      users.add(user);
      const status = accountStatus ?? initial();
      if (status) user.status(status);
    };
    node.deregister = (user) => {
      users.delete(user);
    };
    node.report = (error) => {
      const category = (error as { category?: string })?.category;
      if (!category || !ACCOUNT_WIDE.has(category)) return;
      accountStatus = { fill: category === 'rate_limit' ? 'yellow' : 'red', shape: 'ring', text: (error as { code: string }).code };
      for (const user of users) user.status(accountStatus);
    };
    node.reportOk = () => {
      if (!accountStatus) return;
      accountStatus = undefined;
      for (const user of users) user.status({});
    };

    node.on('close', (_removed, done) => {
      // Sends already handed to the client finish (or fail into their node's done) before the
      // client goes; the shared limiter keeps serving other config nodes of the same number.
      Promise.allSettled([...inflight])
        .then(() => node.client?.close())
        .catch(() => undefined)
        .then(() => {
          users.clear();
          done();
        });
    });
  }

  RED.nodes.registerType('whatsapp-cloud-config', WhatsAppCloudConfigNode, { credentials: CREDENTIALS_DEFINITION });
  registerAdminRoutes(RED);
};
