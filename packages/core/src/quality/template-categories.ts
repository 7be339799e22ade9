import type { GraphApi } from '../http/graph-api';
import { findTemplate } from '../templates/api';
import { MapFront } from '../window/map-front';

/** How long a template's category is trusted before it is read again. @default 10 minutes */
export const DEFAULT_CATEGORY_TTL_MS = 10 * 60 * 1000;

/**
 * Template categories (MARKETING, UTILITY, AUTHENTICATION) per WABA, name and language, read with
 * {@link findTemplate} and kept for a while: the marketing rules of the quality guard need the
 * category of a template before sending it, and a send names only the template. Meta may
 * re-categorise a template (`template_category_update`), hence the expiry rather than forever.
 * Misses and failed reads are not kept, so a fixed WABA ID or a new template is seen at once.
 */
export class TemplateCategoryCache {
  private readonly entries = new Map<string, { category: string; expiresAt: number }>();
  private readonly oldest = new MapFront(this.entries);
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_CATEGORY_TTL_MS;
    this.maxEntries = options.maxEntries ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** The cached category (upper case), or undefined. */
  get(wabaId: string, name: string, language: string): string | undefined {
    const key = categoryKey(wabaId, name, language);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.category;
  }

  /** Remembers a category (e.g. from a template list an adapter already read). */
  set(wabaId: string, name: string, language: string, category: string): void {
    const key = categoryKey(wabaId, name, language);
    this.entries.delete(key);
    this.oldest.forget(key);
    this.entries.set(key, { category: category.toUpperCase(), expiresAt: this.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.oldest.shift();
  }

  /** Forgets a category (it is read from Meta again on next use). */
  forget(wabaId: string, name: string, language: string): void {
    this.entries.delete(categoryKey(wabaId, name, language));
  }

  /**
   * The category from the cache, else from Meta (one `findTemplate` call, shared by concurrent
   * callers). Undefined when the template is not found or the read fails: the caller decides.
   */
  async lookup(graph: GraphApi, wabaId: string, name: string, language: string): Promise<string | undefined> {
    const cached = this.get(wabaId, name, language);
    if (cached) return cached;
    const key = categoryKey(wabaId, name, language);
    let read = this.pending.get(key);
    if (!read) {
      read = findTemplate(graph, wabaId, name, language)
        .then((template) => {
          if (template?.category) this.set(wabaId, name, language, template.category);
          return template?.category?.toUpperCase();
        })
        .catch(() => undefined)
        .finally(() => this.pending.delete(key));
      this.pending.set(key, read);
    }
    return read;
  }
}

function categoryKey(wabaId: string, name: string, language: string): string {
  return `${wabaId}\n${name}\n${language}`;
}
