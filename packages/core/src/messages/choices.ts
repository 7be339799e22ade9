import { ValidationError } from '../errors/error-classes';
import type { OutboundMessageOptions } from './envelope';
import type { OutboundInteractiveMessage } from './interactive';
import { buttonsMessage, listMessage, type InteractiveHeaderInput } from './interactive-builders';
import { LIMITS } from './limits';

/** Content of `choicesMessage`. */
export interface ChoicesContent {
  /** The question, 1–1024 characters (the message body). */
  prompt: string;
  /** 1–10 options. The chosen option's `id` comes back in the webhook. */
  options: Array<{ id: string; title: string; description?: string }>;
  /** Label of the button that opens the list (lists only, i.e. 4–10 options). @default 'Choose' */
  button?: string;
  /** Text header, ≤ 60 (a media header works only with 1–3 options). */
  header?: InteractiveHeaderInput;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/** The default label of the list button. */
const DEFAULT_LIST_BUTTON = 'Choose';

/**
 * Maps an error on the Graph path back to the field of `ChoicesContent` the caller wrote, so
 * `interactive.action.sections[0].rows[4].title` reads `options[4].title`.
 */
function toContentPath(field: string): string {
  const rules: Array<[RegExp, string]> = [
    [/^interactive\.action\.buttons\[(\d+)\]\.reply\.(\w+)$/, 'options[$1].$2'],
    [/^interactive\.action\.sections\[0\]\.rows\[(\d+)\]\.(\w+)$/, 'options[$1].$2'],
    [/^interactive\.action\.(buttons|sections(\[0\]\.rows)?)$/, 'options'],
    [/^interactive\.action\.button$/, 'button'],
    [/^interactive\.body(\.text)?$/, 'prompt'],
    [/^interactive\.footer(\.text)?$/, 'footer'],
    [/^interactive\.header\.text$/, 'header'],
    [/^interactive\.header(\..*)?$/, 'header$1'],
  ];
  for (const [pattern, replacement] of rules) if (pattern.test(field)) return field.replace(pattern, replacement);
  return field;
}

/**
 * A question with 1–10 answers, sent the way WhatsApp shows it best: reply buttons for 1–3 options,
 * a list for 4–10 (button label `button`, default "Choose"). More than 10 is an error, and so is a
 * `description` with 1–3 options, because reply buttons cannot show it (it is never dropped silently:
 * use `listMessage` to show descriptions for few options).
 *
 * Errors name the fields of `content`: `options[1].title: 23 characters, the limit is 20`.
 * @throws ValidationError e.g. `options: 11 options, the limit is 10`
 * @example choicesMessage('+14155551234', { prompt: 'Rate us', options: [{ id: 'good', title: 'Good' }, { id: 'bad', title: 'Bad' }] })
 */
export function choicesMessage(to: string, content: ChoicesContent, messageOptions?: OutboundMessageOptions): OutboundInteractiveMessage {
  const options = content.options;
  if (!Array.isArray(options) || options.length === 0) {
    throw new ValidationError('options', `is empty, give 1 to ${LIMITS.listRows} options`);
  }
  if (options.length > LIMITS.listRows) {
    throw new ValidationError('options', `${options.length} options, the limit is ${LIMITS.listRows}`);
  }
  try {
    if (options.length <= LIMITS.replyButtons) {
      const described = options.findIndex((option) => option.description !== undefined);
      if (described !== -1) {
        throw new ValidationError(
          `options[${described}].description`,
          `reply buttons (1 to ${LIMITS.replyButtons} options) cannot show a description; remove it, or send a list with listMessage`,
        );
      }
      return buttonsMessage(
        to,
        { body: content.prompt, buttons: options.map(({ id, title }) => ({ id, title })), header: content.header, footer: content.footer },
        messageOptions,
      );
    }
    if (content.header !== undefined && typeof content.header !== 'string' && content.header.type !== 'text') {
      throw new ValidationError('header.type', `"${content.header.type}" headers work only with 1 to ${LIMITS.replyButtons} options; a list (4 or more) takes a text header`);
    }
    const header = typeof content.header === 'string' || content.header === undefined ? content.header : (content.header as { text: string }).text;
    return listMessage(
      to,
      {
        body: content.prompt,
        button: content.button ?? DEFAULT_LIST_BUTTON,
        sections: [{ rows: options.map(({ id, title, description }) => ({ id, title, ...(description !== undefined ? { description } : {}) })) }],
        header,
        footer: content.footer,
      },
      messageOptions,
    );
  } catch (error) {
    if (!(error instanceof ValidationError) || !error.field.startsWith('interactive.')) throw error;
    const field = toContentPath(error.field);
    // The problem may name a sibling on the Graph path too ("also at buttons[0].reply").
    const problem = error.message
      .slice(error.field.length + 2)
      .replace(/\b(?:buttons\[(\d+)\]\.reply|sections\[0\]\.rows\[(\d+)\])/g, (_m, b: string | undefined, r: string | undefined) => `options[${b ?? r}]`);
    throw new ValidationError(field, problem, error.hint.replace(`"${error.field}"`, `"${field}"`));
  }
}
