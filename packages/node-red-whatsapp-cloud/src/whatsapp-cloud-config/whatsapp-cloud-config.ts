/**
 * `whatsapp-cloud-config`: one WhatsApp business phone number. Like Node-RED's mqtt-broker node it
 * owns the connection (one core client, on the process-wide limiter of its number and the shared
 * window tracker) and every send/webhook node that uses it registers here for status fan-out.
 */
import { FailedMessageResender, WhatsAppClient, WhatsAppError, closeSharedRedis, findTemplate, ledgerRetentionMsFromDays, sharedState as coreSharedState, type MessageTemplate } from '../lib/core';
import { CREDENTIALS_DEFINITION, configSettings } from '../lib/connection';
import { registerAdminRoutes } from '../lib/admin';
import { toNodeRedError } from '../lib/errors';
import { qualityOptions } from '../lib/quality';
import type { NodeAPI, NodeDef, NodeStatus } from '../lib/node-red';
import type { ConfigNode, SharedState, UserNode } from '../lib/types';

/** Categories that concern the whole number, not one message. */
const ACCOUNT_WIDE = new Set(['auth', 'policy', 'rate_limit']);
const TEMPLATE_TTL_MS = 5 * 60_000;

/**
 * Config nodes of this process that use Redis. The shared connections (one per URL and prefix,
 * core's `sharedRedisState`) are closed when the last of them closes (stop, full redeploy), so a
 * changed URL leaves no connection retrying in the background and nothing keeps the process alive.
 */
let redisUsers = 0;

/**
 * The state the send side and the webhook side must share, from core's one registry: the embedded
 * file in Node-RED's user folder (one per installation, shared by every config node), memory, or
 * Redis. An unusable file falls back to memory inside core; `problem` then says why.
 */
function sharedState(s: ReturnType<typeof configSettings>, userDir: string | undefined): SharedState {
  const state = coreSharedState(
    s.store === 'redis'
      ? { kind: 'redis', redis: { url: s.redisUrl, keyPrefix: s.redisKeyPrefix } }
      : { kind: s.store, folder: userDir },
  );
  return {
    kind: state.kind,
    problem: () => state.problem,
    forgetUser: (userIds) => state.forgetUser(userIds),
    windowTracker: state.windowTracker,
    deduplicator: state.deduplicator,
    qualityGuard: state.qualityGuard,
    ledger: state.ledger,
    messagingLimit: state.messagingLimit,
    limiter: (phoneNumberId, throughput) => state.limiter(phoneNumberId, { throughput }),
  };
}

/** Node-RED's user folder (settings.userDir), where the embedded store's file goes. */
function userDirOf(RED: NodeAPI): string | undefined {
  const dir = (RED.settings as { userDir?: unknown }).userDir;
  return typeof dir === 'string' && dir ? dir : undefined;
}

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

    let usesRedis = false;
    try {
      node.shared = sharedState(s, userDirOf(RED));
      const problem = node.shared.problem();
      if (problem) {
        // Loud, once per deploy: the flow keeps working (webhooks answered, sends checked), but
        // windows, opt-outs and seen events are lost on the next restart until the file is fixed.
        node.error(`${problem.message}. ${problem.hint}`);
      }
      if (node.shared.kind === 'redis') {
        usesRedis = true;
        redisUsers += 1;
      }
    } catch (error) {
      // An unusable Redis URL: nothing is shared, so nothing may be sent or accepted.
      node.configError = new WhatsAppError(`The Redis settings of the config node are not usable (${s.redisAddress})`, {
        code: 'shared_store_unavailable',
        category: 'network',
        hint: 'Check the Redis URL (redis://host:port/db) on the config node.',
        cause: error,
      });
      node.error(toNodeRedError(node.configError).message);
    }

    // A missing token or ID shows as "config incomplete"; a wrong value as "config invalid".
    const incomplete = !node.configError && (!s.accessToken || !s.phoneNumberId);
    try {
      if (node.configError) throw node.configError;
      if (!s.accessToken) throw missing('Access Token', 'Open the config node and paste a System User access token (or ${ENV_VAR}).');
      if (!s.phoneNumberId) throw missing('Phone Number ID', 'Copy the Phone number ID from WhatsApp Manager → API Setup.');
      // The "Quality guard" fields; a value out of range fails here, naming the field and the limit.
      const quality = qualityOptions(def);
      // "Ledger retention (days)": core checks the range (1 hour to 400 days) and names the field. The
      // records written through this config node (sends and the statuses its webhook nodes join)
      // expire that long after their send; the store is shared, each record carries its own expiry.
      node.shared!.ledger = node.shared!.ledger.withRetention(ledgerRetentionMsFromDays(def.ledgerRetentionDays));
      node.client = new WhatsAppClient({
        accessToken: s.accessToken,
        phoneNumberId: s.phoneNumberId,
        wabaId: s.wabaId,
        apiVersion: s.apiVersion,
        baseUrl: s.baseUrl,
        limiter: node.shared!.limiter(s.phoneNumberId, s.throughput),
        window: {
          policy: s.windowPolicy,
          tracker: node.shared!.windowTracker,
          fallbackTemplate: s.fallbackTemplate ? { name: s.fallbackTemplate, languageCode: s.fallbackLanguage ?? 'en_US' } : undefined,
        },
        // The rules of this number (the config node's "Quality guard" fields; core's defaults for
        // fields a flow does not have), checked with one guard per process (or per Redis prefix),
        // fed by the webhook node too.
        quality: { ...quality, guard: node.shared!.qualityGuard },
        // Marketing templates through /marketing_messages, by each template's latest category.
        ...(s.marketingMessages !== 'off'
          ? { marketingMessages: { enabled: true, ...(s.marketingMessages === 'on' ? {} : { productPolicy: s.marketingMessages === 'strict' ? ('STRICT' as const) : ('CLOUD_API_FALLBACK' as const) }) } }
          : {}),
        // Every accepted send is remembered with its reference; the webhook node joins its statuses.
        ...(s.deliveryLedger ? { ledger: node.shared!.ledger } : {}),
        // Business-initiated templates count against the portfolio's messaging limit (tier from Meta unless set).
        messagingLimit: { tracker: node.shared!.messagingLimit, ...(s.messagingLimitTier !== 'meta' ? { tier: s.messagingLimitTier } : {}), hold: s.messagingLimitHold },
      });
    } catch (error) {
      if (error !== node.configError) {
        node.configError = error instanceof WhatsAppError ? error : (toNodeRedError(error) as never);
        node.error(toNodeRedError(error).message);
      }
    }

    // "Re-send failed": core's resender sends due re-sends from the store (those waiting from before a
    // restart too); the webhook nodes of this config schedule them from failed statuses.
    if (node.client && node.shared && s.deliveryLedger && s.resendFailed) {
      node.resender = new FailedMessageResender({
        ledger: node.shared.ledger,
        client: node.client,
        onResend: ({ job, messageId, error }) => {
          if (messageId) node.log(`Re-sent message ${job.failedId} (failed with ${job.code}) as ${messageId} (re-send ${job.resend})`);
          else node.warn(`Message ${job.failedId} (failed with ${job.code}) was not re-sent: ${toNodeRedError(error).message}`);
        },
      });
      node.resender.start();
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

    // Quality rating and tier: read by a health check at start and every `healthCheckMinutes`, and
    // whenever the guard learns a change (a webhook's phone_number_quality_update, a send's answer).
    let closed = false;
    const showQuality = async () => {
      if (!node.client || !node.shared || closed) return;
      node.quality = await node.shared.qualityGuard.status(s.phoneNumberId!);
      if (!accountStatus) for (const user of users) user.onQuality?.();
    };
    node.refreshQuality = async () => {
      if (!node.client) throw node.configError ?? missing('Access Token', 'Check the config node.');
      await node.track(node.client.health());
      await showQuality();
    };
    let healthTimer: NodeJS.Timeout | undefined;
    let stopListening: (() => void) | undefined;
    if (node.client && node.shared) {
      stopListening = node.shared.qualityGuard.onChange((change) => {
        if (change.phoneNumberId !== s.phoneNumberId) return;
        if (change.message) node.warn(change.message);
        // The guard tells listeners before it stores the new rating: read its status on the next turn.
        setImmediate(() => showQuality().catch(() => undefined));
      });
      if (s.healthCheckMinutes > 0) {
        const check = () =>
          node.refreshQuality().catch((error) => {
            // Shown once in the log; sends are not affected (the status keeps the last rating).
            node.warn(`Health check failed: ${toNodeRedError(error).message}`);
          });
        // The start check reads the messaging-limit tier too (health() keeps it for the sends).
        check();
        healthTimer = setInterval(check, s.healthCheckMinutes * 60_000);
        healthTimer.unref();
      } else if (s.messagingLimitTier === 'meta') {
        // No health checks: the tier is still read once at start, in the background, so the first
        // business-initiated template does not wait for it and the limit is known before it.
        node.track(node.client.readMessagingLimitTier()).catch((error) => {
          node.warn(`Messaging limit tier not read at start (the first template send tries again): ${toNodeRedError(error).message}`);
        });
      }
    }
    node.hasAccountStatus = () => accountStatus !== undefined;

    const initial = (): NodeStatus | undefined =>
      node.configError
        ? { fill: 'red', shape: 'ring', text: node.configError.code !== 'invalid_option' ? node.configError.code : incomplete ? 'config incomplete' : 'config invalid' }
        : node.shared?.problem()
          ? { fill: 'yellow', shape: 'ring', text: 'state in memory: store file unusable (see log)' }
          : undefined;

    node.register = (user) => {
      users.add(user);
      const status = accountStatus ?? initial();
      if (status) user.status(status);
      else if (node.quality) user.onQuality?.();
    };
    node.deregister = (user) => {
      users.delete(user);
    };
    node.report = (error) => {
      const category = (error as { category?: string })?.category;
      const code = (error as { code?: string })?.code;
      if (code === 'shared_store_unavailable') {
        accountStatus = { fill: 'yellow', shape: 'ring', text: `redis unavailable (${s.redisAddress ?? 'redis'})` };
        for (const user of users) user.status(accountStatus);
        return;
      }
      if (!category || !ACCOUNT_WIDE.has(category)) return;
      accountStatus = { fill: category === 'rate_limit' ? 'yellow' : 'red', shape: 'ring', text: (error as { code: string }).code };
      for (const user of users) user.status(accountStatus);
    };
    node.reportOk = () => {
      if (!accountStatus) return;
      accountStatus = undefined;
      for (const user of users) {
        if (user.onQuality) user.onQuality();
        else user.status({});
      }
    };

    node.on('close', (_removed, done) => {
      closed = true;
      if (healthTimer) clearInterval(healthTimer);
      stopListening?.();
      // Sends already handed to the client finish (or fail into their node's done) before the
      // client goes; the shared limiter keeps serving other config nodes of the same number.
      Promise.allSettled([...inflight, node.resender?.stop()])
        .then(() => node.client?.close())
        .catch(() => undefined)
        .then(async () => {
          if (usesRedis) {
            usesRedis = false;
            redisUsers -= 1;
            if (redisUsers === 0) await closeSharedRedis().catch(() => undefined);
          }
          users.clear();
          done();
        });
    });
  }

  RED.nodes.registerType('whatsapp-cloud-config', WhatsAppCloudConfigNode, { credentials: CREDENTIALS_DEFINITION });
  registerAdminRoutes(RED);
};
