/**
 * Turns what the business sent (and what the user sent) into a small display model for the chat page,
 * so the page's script only draws boxes: templates arrive rendered with their parameters substituted,
 * buttons and list rows carry what a tap must send back.
 */
import type { TemplateStore } from './templates';
import type { Json, JsonObject } from './types';

/** A tappable element of a chat bubble. */
export interface ViewButton {
  title: string;
  /** What a tap sends back: an interactive reply, a template quick-reply, or nothing (a link). */
  reply?: { type: 'button_reply' | 'list_reply'; id: string; title: string; description?: string } | { type: 'button'; payload: string; text: string };
  url?: string;
  section?: string;
}

/** A chat bubble. */
export interface MessageView {
  label: string;
  header?: string;
  media?: { type: string; href: string; caption?: string };
  text: string;
  footer?: string;
  buttons: ViewButton[];
  /** The list's menu button label (rows are in `buttons`). */
  listButton?: string;
}

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function s(v: Json | undefined): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** Media reference → a link the page can open (sandbox media IDs go through a token-less page route). */
function mediaHref(m: JsonObject): string {
  if (typeof m.link === 'string') return m.link;
  if (typeof m.id === 'string') return `/_sandbox/media/${encodeURIComponent(m.id)}`;
  return '#';
}

/** View of a message the business sent. */
export function outboundView(body: JsonObject, templates: TemplateStore): MessageView {
  const type = s(body.type) || 'text';
  const o = body[type];
  const v: MessageView = { label: type, text: '', buttons: [] };
  if (type === 'text' && isObj(o)) v.text = s(o.body);
  else if (['image', 'video', 'audio', 'document', 'sticker'].includes(type) && isObj(o)) {
    v.media = { type, href: mediaHref(o), caption: s(o.caption) || undefined };
    v.text = s(o.caption) || s(o.filename);
  } else if (type === 'location' && isObj(o)) {
    v.text = `📍 ${[s(o.name), s(o.address)].filter(Boolean).join(', ')} (${s(o.latitude)}, ${s(o.longitude)})`;
  } else if (type === 'contacts' && Array.isArray(o)) {
    v.text = `👤 ${o.map((c) => (isObj(c) && isObj(c.name) ? s(c.name.formatted_name) : '?')).join(', ')}`;
  } else if (type === 'reaction' && isObj(o)) {
    v.text = o.emoji ? `reacted ${s(o.emoji)}` : 'removed a reaction';
  } else if (type === 'template' && isObj(o)) {
    const name = s(o.name);
    const lang = isObj(o.language) ? s(o.language.code) : '';
    v.label = `template ${name} (${lang})`;
    const t = templates.all().find((x) => x.name === name && x.language === lang);
    if (t) {
      const r = templates.render(t, o.components);
      if (r.header?.text) v.header = r.header.text;
      if (r.header?.media) {
        const m = r.header.media;
        v.media = { type: m.type, href: m.link ?? (m.id ? `/_sandbox/media/${encodeURIComponent(m.id)}` : '#') };
      }
      v.text = r.body;
      v.footer = r.footer;
      v.buttons = r.buttons.map((b) =>
        b.kind === 'quick_reply'
          ? { title: b.title, reply: { type: 'button' as const, payload: b.payload ?? b.title, text: b.title } }
          : { title: b.title, url: b.url },
      );
    } else v.text = `(unknown template ${name})`;
  } else if (type === 'interactive' && isObj(o)) {
    const it = s(o.type);
    v.label = `interactive ${it}`;
    if (isObj(o.header)) {
      const h = o.header;
      if (h.type === 'text') v.header = s(h.text);
      else if (isObj(h[s(h.type)])) v.media = { type: s(h.type), href: mediaHref(h[s(h.type)] as JsonObject) };
    }
    v.text = isObj(o.body) ? s(o.body.text) : '';
    v.footer = isObj(o.footer) ? s(o.footer.text) || undefined : undefined;
    const action = isObj(o.action) ? o.action : {};
    if (it === 'button' && Array.isArray(action.buttons)) {
      for (const b of action.buttons) {
        if (isObj(b) && isObj(b.reply)) {
          v.buttons.push({ title: s(b.reply.title), reply: { type: 'button_reply', id: s(b.reply.id), title: s(b.reply.title) } });
        }
      }
    } else if (it === 'list' && Array.isArray(action.sections)) {
      v.listButton = s(action.button);
      for (const sec of action.sections) {
        if (!isObj(sec) || !Array.isArray(sec.rows)) continue;
        for (const r of sec.rows) {
          if (!isObj(r)) continue;
          v.buttons.push({
            title: s(r.title),
            section: s(sec.title) || undefined,
            reply: { type: 'list_reply', id: s(r.id), title: s(r.title), description: s(r.description) || undefined },
          });
        }
      }
    } else if (it === 'cta_url' && isObj(action.parameters)) {
      v.buttons.push({ title: s(action.parameters.display_text), url: s(action.parameters.url) });
    } else if (it === 'flow' && isObj(action.parameters)) {
      v.buttons.push({ title: s(action.parameters.flow_cta) });
    } else if (it === 'location_request_message') {
      v.buttons.push({ title: '📍 Send location' });
    }
  } else v.text = JSON.stringify(o);
  return v;
}

/** View of a message the user sent. */
export function inboundView(m: JsonObject): MessageView {
  const type = s(m.type);
  const o = m[type];
  const v: MessageView = { label: type, text: '', buttons: [] };
  if (type === 'text' && isObj(o)) v.text = s(o.body);
  else if (type === 'button' && isObj(o)) v.text = s(o.text);
  else if (type === 'interactive' && isObj(o)) {
    const r = o[s(o.type)];
    v.text = isObj(r) ? s(r.title) || s(r.body) : s(o.type);
  } else if (['image', 'video', 'audio', 'document', 'sticker'].includes(type) && isObj(o)) {
    v.media = { type, href: typeof o.id === 'string' ? `/_sandbox/media/${encodeURIComponent(o.id)}` : '#' };
    v.text = s(o.caption) || s(o.filename);
  } else if (type === 'location' && isObj(o)) v.text = `📍 ${s(o.name)} (${s(o.latitude)}, ${s(o.longitude)})`;
  else if (type === 'reaction' && isObj(o)) v.text = `reacted ${s(o.emoji)}`;
  else v.text = `[${type}]`;
  return v;
}
