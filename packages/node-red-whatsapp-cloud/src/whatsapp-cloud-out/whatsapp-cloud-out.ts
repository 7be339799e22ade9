/**
 * `whatsapp-cloud-out`: sends one WhatsApp message per input msg through its config node's client
 * (validated before sending, paced, window-guarded by core). Modelled on Node-RED's http request
 * node: settings on the node win, msg properties fill what the node leaves empty; the result goes
 * out on `msg.whatsapp`, errors go to `done(err)` so Catch nodes see them.
 */
import {
  buildTemplateComponents,
  choicesMessage,
  mediaKindOf,
  mediaMessage,
  reactionMessage,
  slowedDown,
  templateMessage,
  textMessage,
  uploadMedia,
  ValidationError,
} from '../lib/core';
import { statusText, toNodeRedError } from '../lib/errors';
import { idleStatus } from '../lib/quality';
import type { DoneFn, Node, NodeAPI, NodeDef, NodeMessage, SendFn } from '../lib/node-red';
import type { ConfigNode, EnvelopeOptions } from '../lib/types';

type SendMode = 'auto' | 'text' | 'template' | 'media' | 'interactive' | 'choices' | 'reaction' | 'read';
const MODES: readonly SendMode[] = ['auto', 'text', 'template', 'media', 'interactive', 'choices', 'reaction', 'read'];
const MEDIA_KINDS = ['image', 'video', 'audio', 'document', 'sticker'] as const;
type MediaKind = (typeof MEDIA_KINDS)[number];

/** A template parameter as the editor saves it: the key from `templateParameters` and a typed value. */
interface ParameterSetting {
  key: string;
  value: string;
  type: string;
}

interface ChoiceSetting {
  id: string;
  title: string;
  description?: string;
}

interface OutNode extends Node {
  config?: ConfigNode;
  onQuality?(): void;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  return s.trim() === '' ? undefined : s;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function required(field: string, value: string | undefined, hint: string): string {
  if (value === undefined) throw new ValidationError(field, 'is required', hint);
  return value;
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudOutNode(this: OutNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const mode: SendMode = MODES.includes(def.mode as SendMode) ? (def.mode as SendMode) : 'auto';
    const fixedTo = str(def.to);
    const settings = {
      previewUrl: def.previewUrl === true,
      template: str(def.template),
      language: str(def.language),
      parameters: (Array.isArray(def.parameters) ? def.parameters : []) as ParameterSetting[],
      mediaType: str(def.mediaType),
      caption: str(def.caption),
      filename: str(def.filename),
      prompt: str(def.prompt),
      options: (Array.isArray(def.options) ? def.options : []) as ChoiceSetting[],
      button: str(def.button),
      header: str(def.header),
      footer: str(def.footer),
      emoji: str(def.emoji),
      typing: def.typing === true,
    };
    node.config = RED.nodes.getNode(def.config as string) as ConfigNode | undefined;
    const config = node.config;
    const inflight = new Set<Promise<void>>();
    let failed = false;
    /** What the idle status says besides the number's rating and tier (`sent` after a send). */
    let idleText: string | undefined;
    const showIdle = () => node.status(idleStatus(idleText, config?.quality));
    // The number's quality rating and tier (from the config node's health checks and webhooks).
    node.onQuality = () => {
      if (inflight.size === 0 && !failed) showIdle();
    };

    if (!config) {
      node.status({ fill: 'red', shape: 'ring', text: 'no config node' });
    } else {
      config.register(node);
    }

    const showProgress = () => {
      if (!config?.client || failed) return;
      const queued = config.client.limiter.queued();
      if (inflight.size === 0) return;
      node.status(queued > 0 ? { fill: 'yellow', shape: 'ring', text: `queued (${queued})${pacingText()}` } : { fill: 'blue', shape: 'dot', text: `sending (${inflight.size})${pacingText()}` });
    };
    /** ` · 58.5/s of 80/s (Meta answered 130429)` while the number sends below its configured rate. */
    const pacingText = (): string => {
      const slowed = slowedDown(config?.client?.pacing());
      return slowed ? ` · ${slowed.summary}` : '';
    };

    /** Recipient: the node's To when set, else `msg.to`, else the `to` of a Graph-shape payload. */
    const recipient = (msg: NodeMessage): string => {
      const payloadTo = isObject(msg.payload) ? str(msg.payload.to) : undefined;
      return required('to', fixedTo ?? str(msg.to) ?? payloadTo, 'Set "To" on the node or msg.to to a phone number with country code (or a user id).');
    };

    const envelope = (msg: NodeMessage): EnvelopeOptions => ({
      ...(str(msg.replyTo) ? { replyTo: str(msg.replyTo) } : {}),
      // `msg.reference` (e.g. the CRM order ID) is the friendly name; both go out as biz_opaque_callback_data.
      ...(str(msg.reference) ?? str(msg.bizOpaqueCallbackData) ? { bizOpaqueCallbackData: (str(msg.reference) ?? str(msg.bizOpaqueCallbackData))! } : {}),
    });

    /** The wamid a reaction or read receipt refers to: `msg.messageId`, or the inbound event's. */
    const targetMessage = (msg: NodeMessage): string => {
      const event = isObject(msg.whatsapp) ? msg.whatsapp : {};
      return required('messageId', str(msg.messageId) ?? str(event.messageId), 'Set msg.messageId to the wamid of the message (a msg from the webhook node has it).');
    };

    const uploadAndSend = async (msg: NodeMessage, cfg: ConfigNode, to: string, data: Buffer, kindSetting?: string) => {
      const mimeType = required('mimetype', str(msg.mimetype), 'Set msg.mimetype (e.g. image/jpeg) next to the Buffer in msg.payload.');
      const filename = str(msg.filename) ?? settings.filename;
      const uploaded = await cfg.track(uploadMedia(cfg.client!.graph, cfg.client!.phoneNumberId, { data, mimeType, filename }));
      const kind = (kindSetting && kindSetting !== 'auto' ? kindSetting : uploaded.kind) as MediaKind;
      return mediaMessage(to, kind, { id: uploaded.id }, mediaOptions(msg, kind, filename));
    };

    const mediaOptions = (msg: NodeMessage, kind: MediaKind, filename?: string) => {
      const caption = settings.caption ?? str(msg.caption);
      return {
        ...envelope(msg),
        // Passed on for every kind: core refuses a caption on audio or a sticker, naming the field (never dropped).
        ...(caption !== undefined ? { caption } : {}),
        ...(filename !== undefined && kind === 'document' ? { filename } : {}),
      };
    };

    const templateFrom = async (msg: NodeMessage, cfg: ConfigNode, to: string) => {
      const override = isObject(msg.template) ? msg.template : {};
      const name = required('template.name', settings.template ?? str(override.name), 'Pick a template on the node or set msg.template.name.');
      const language = required('template.language', settings.language ?? str(override.language), 'Pick the template language on the node or set msg.template.language (e.g. en_US).');
      if (Array.isArray(override.components)) return templateMessage(to, name, language, override.components as never, envelope(msg));
      const values: Record<string, unknown> = {};
      for (const p of settings.parameters) {
        if (p && p.key) values[p.key] = RED.util.evaluateNodeProperty(p.value, p.type || 'str', node, msg);
      }
      if (isObject(override.parameters)) Object.assign(values, override.parameters);
      const hasValues = Object.values(values).some((v) => v !== undefined && v !== '');
      // Without a WABA ID the template cannot be read, so only parameterless sends are possible.
      if (!cfg.settings.wabaId && !hasValues) return templateMessage(to, name, language, undefined, envelope(msg));
      const template = await cfg.template(name, language);
      const filled = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== ''));
      const components = buildTemplateComponents(template, filled);
      return templateMessage(to, name, language, (components.length ? components : undefined) as never, envelope(msg));
    };

    const choicesFrom = (msg: NodeMessage, to: string) => {
      const prompt = required('prompt', settings.prompt ?? (typeof msg.payload === 'string' ? str(msg.payload) : undefined), 'Set the prompt on the node or send it as a string in msg.payload.');
      const options = settings.options.length ? settings.options : msg.options;
      if (!Array.isArray(options)) throw new ValidationError('options', 'is required: give 1 to 10 options (id and title)', 'Add options on the node or set msg.options to [{ id, title, description? }].');
      return choicesMessage(
        to,
        {
          prompt,
          options: options.map((o: ChoiceSetting) => ({ id: o.id, title: o.title, ...(str(o.description) !== undefined ? { description: o.description } : {}) })),
          ...(settings.button ? { button: settings.button } : {}),
          ...(settings.header ? { header: settings.header } : {}),
          ...(settings.footer ? { footer: settings.footer } : {}),
        },
        envelope(msg),
      );
    };

    /** Translates the msg into one core call; returns what goes on msg.whatsapp. */
    const dispatch = async (msg: NodeMessage, cfg: ConfigNode): Promise<unknown> => {
      const payload = msg.payload;
      if (mode === 'read') {
        const messageId = targetMessage(msg);
        const result = await cfg.track(cfg.client!.markAsRead(messageId, { typing: settings.typing }));
        return { ...result, messageId };
      }
      const to = recipient(msg);
      let message: unknown;
      switch (mode) {
        case 'text':
          message = textMessage(to, required('payload', typeof payload === 'string' ? payload : str(payload), 'Send the text in msg.payload.'), { ...envelope(msg), ...(settings.previewUrl ? { previewUrl: true } : {}) });
          break;
        case 'template':
          message = await templateFrom(msg, cfg, to);
          break;
        case 'media': {
          if (Buffer.isBuffer(payload)) {
            message = await uploadAndSend(msg, cfg, to, payload, settings.mediaType);
            break;
          }
          const source = required('payload', str(payload), 'Send a Buffer (with msg.mimetype), an https link or a media id in msg.payload.');
          const kind = (settings.mediaType && settings.mediaType !== 'auto' ? settings.mediaType : (str(msg.mimetype) && mediaKindOf(str(msg.mimetype)!))) as MediaKind | undefined;
          if (!kind) throw new ValidationError('mediaType', 'is required for a link or media id', 'Choose the media type on the node, or set msg.mimetype.');
          const filename = str(msg.filename) ?? settings.filename;
          message = mediaMessage(to, kind, /^https?:\/\//i.test(source) ? { link: source } : { id: source }, mediaOptions(msg, kind, filename));
          break;
        }
        case 'interactive':
          if (!isObject(payload)) throw new ValidationError('payload', 'must be the interactive object (type, body, action, …)', 'Put the `interactive` part of the message in msg.payload.');
          message = { to, type: 'interactive', interactive: payload, ...envelopeFields(msg) };
          break;
        case 'choices':
          message = choicesFrom(msg, to);
          break;
        case 'reaction':
          message = reactionMessage(to, targetMessage(msg), required('emoji', settings.emoji ?? (typeof payload === 'string' ? payload : undefined), 'Set the emoji on the node or in msg.payload (empty string removes a reaction).'));
          break;
        default:
          if (Buffer.isBuffer(payload)) message = await uploadAndSend(msg, cfg, to, payload);
          else if (typeof payload === 'string') message = textMessage(to, payload, { ...envelope(msg), ...(settings.previewUrl ? { previewUrl: true } : {}) });
          else if (isObject(payload)) message = { ...envelopeFields(msg), ...payload, to };
          else throw new ValidationError('payload', 'must be a string (text), an object (a message in Graph shape) or a Buffer (media)', 'Set msg.payload.');
      }
      return cfg.sendMessage(message);
    };

    /** `context` and `biz_opaque_callback_data` in Graph shape, for messages not built by a builder. */
    const envelopeFields = (msg: NodeMessage) => {
      const e = envelope(msg);
      return { ...(e.replyTo ? { context: { message_id: e.replyTo } } : {}), ...(e.bizOpaqueCallbackData ? { biz_opaque_callback_data: e.bizOpaqueCallbackData } : {}) };
    };

    node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
      if (!config) {
        done(toNodeRedError(new ValidationError('config', 'no WhatsApp Cloud config node is selected', 'Open the node and pick or create a config node.')));
        return;
      }
      const work = (async () => {
        try {
          if (!config.client) throw config.configError;
          const result = await dispatch(msg, config);
          // The effective rate, only while the number sends below its configured rate.
          const pacing = slowedDown(config.client.pacing());
          msg.whatsapp = pacing && isObject(result) ? { ...result, pacing } : result;
          failed = false;
          config.reportOk();
          send(msg);
          done();
        } catch (error) {
          failed = true;
          node.status({ fill: 'red', shape: 'ring', text: statusText(error) });
          config.report(error);
          done(toNodeRedError(error));
        }
      })();
      inflight.add(work);
      showProgress();
      void work.finally(() => {
        inflight.delete(work);
        if (failed) return;
        if (inflight.size) node.status({ fill: 'blue', shape: 'dot', text: `sending (${inflight.size})${pacingText()}` });
        else if (config.hasAccountStatus()) return; // the account-wide problem stays visible
        else {
          idleText = `sent${pacingText()}`;
          showIdle();
        }
      });
    });

    node.on('close', (_removed, done) => {
      // Every accepted msg ends in send+done or done(err) before the node goes: none vanish.
      Promise.allSettled([...inflight]).then(() => {
        config?.deregister(node);
        node.status({});
        done();
      });
    });
  }

  RED.nodes.registerType('whatsapp-cloud-out', WhatsAppCloudOutNode);
};
