/**
 * Message templates in Meta's own field names (they go to and come from the Graph API as is).
 * Component and button `type`/`format` values are upper case in Meta's answers; our readers
 * accept either case.
 */

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';

/** A button of a BUTTONS component. */
export interface TemplateButton {
  /** QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, FLOW, OTP, CATALOG, MPM, … */
  type: string;
  text?: string;
  url?: string;
  phone_number?: string;
  /** URL buttons: the full example URL; COPY_CODE: the example code. */
  example?: string | string[];
  /** OTP buttons: COPY_CODE, ONE_TAP, ZERO_TAP. */
  otp_type?: string;
  [key: string]: unknown;
}

/** One component of a template (HEADER, BODY, FOOTER, BUTTONS, or newer kinds kept as sent). */
export interface TemplateComponent {
  type: string;
  /** HEADER only: TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION. */
  format?: string;
  text?: string;
  example?: {
    header_text?: string[];
    header_text_named_params?: Array<{ param_name: string; example: string }>;
    header_handle?: string[];
    body_text?: string[][];
    body_text_named_params?: Array<{ param_name: string; example: string }>;
    [key: string]: unknown;
  };
  buttons?: TemplateButton[];
  [key: string]: unknown;
}

/** A template as Meta returns it (`GET /{waba}/message_templates`, `GET /{template-id}`). */
export interface MessageTemplate {
  id: string;
  name: string;
  language: string;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … */
  status: string;
  category: string;
  /** POSITIONAL (`{{1}}`, the default) or NAMED (`{{first_name}}`). */
  parameter_format?: string;
  components: TemplateComponent[];
  quality_score?: { score?: string; [key: string]: unknown };
  rejected_reason?: string;
  [key: string]: unknown;
}

/** What `createTemplate` submits (`POST /{waba}/message_templates`). */
export interface TemplateDefinition {
  /** Lower case letters, digits and underscores; at most 512 characters. */
  name: string;
  /** e.g. `en_US`, `pt_BR`. */
  language: string;
  category: TemplateCategory | Lowercase<TemplateCategory>;
  /** @default 'positional' */
  parameter_format?: 'positional' | 'named' | 'POSITIONAL' | 'NAMED';
  components: TemplateComponent[];
  message_send_ttl_seconds?: number;
  allow_category_change?: boolean;
  [key: string]: unknown;
}
