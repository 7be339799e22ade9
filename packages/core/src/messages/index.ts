/**
 * Outbound messages: zod schemas with every documented limit, builders that assemble Graph JSON,
 * `validateOutboundMessage` for messages given in Graph shape, and `toGraphBody` for the request.
 * Curated exports; internals (zod helpers) stay private to the folder.
 */

// Validation and the request body
export {
  validateOutboundMessage,
  toGraphBody,
  isTemplateMessage,
  OutboundMessageSchema,
  OUTBOUND_MESSAGE_TYPES,
  type OutboundMessage,
} from './message';
export { LIMITS, URL_SHORTENER_HOSTS } from './limits';
export { charCount } from './validate';
export { OutboundContextSchema, RecipientSchema, type OutboundContext, type OutboundMessageOptions } from './envelope';

// Text
export {
  textMessage,
  OutboundTextSchema,
  OutboundTextMessageSchema,
  type OutboundText,
  type OutboundTextMessage,
  type TextMessageOptions,
} from './text';

// Media
export {
  mediaMessage,
  MediaLinkSchema,
  OutboundImageSchema,
  OutboundVideoSchema,
  OutboundDocumentSchema,
  OutboundAudioSchema,
  OutboundStickerSchema,
  OutboundImageMessageSchema,
  OutboundVideoMessageSchema,
  OutboundDocumentMessageSchema,
  OutboundAudioMessageSchema,
  OutboundStickerMessageSchema,
  type OutboundMediaKind,
  type MediaSource,
  type OutboundMediaObject,
  type OutboundImageMessage,
  type OutboundVideoMessage,
  type OutboundDocumentMessage,
  type OutboundAudioMessage,
  type OutboundStickerMessage,
  type OutboundMediaMessage,
  type MediaMessageOptions,
} from './media';

// Location, contacts, reaction
export {
  locationMessage,
  OutboundLocationSchema,
  OutboundLocationMessageSchema,
  type OutboundLocation,
  type OutboundLocationMessage,
} from './location';
export {
  contactsMessage,
  OutboundContactSchema,
  OutboundContactsSchema,
  OutboundContactsMessageSchema,
  type OutboundContact,
  type OutboundContactsMessage,
} from './contacts';
export {
  reactionMessage,
  OutboundReactionSchema,
  OutboundReactionMessageSchema,
  type OutboundReaction,
  type OutboundReactionMessage,
} from './reaction';

// Interactive
export {
  INTERACTIVE_TYPES,
  OutboundInteractiveSchema,
  OutboundInteractiveMessageSchema,
  OutboundInteractiveHeaderSchema,
  OutboundButtonInteractiveSchema,
  OutboundListInteractiveSchema,
  OutboundCtaUrlInteractiveSchema,
  OutboundFlowInteractiveSchema,
  OutboundLocationRequestInteractiveSchema,
  OutboundProductInteractiveSchema,
  OutboundProductListInteractiveSchema,
  OutboundCatalogInteractiveSchema,
  type OutboundInteractive,
  type OutboundInteractiveMessage,
  type OutboundInteractiveHeader,
} from './interactive';
export {
  buttonsMessage,
  listMessage,
  ctaUrlMessage,
  flowMessage,
  locationRequestMessage,
  callPermissionRequestMessage,
  productMessage,
  productListMessage,
  catalogMessage,
  type InteractiveHeaderInput,
  type ButtonsContent,
  type ListContent,
  type CtaUrlContent,
  type FlowContent,
  type ProductContent,
  type ProductListContent,
  type CatalogContent,
} from './interactive-builders';
export { choicesMessage, type ChoicesContent } from './choices';

// Templates
export {
  templateMessage,
  OutboundTemplateSchema,
  OutboundTemplateMessageSchema,
  OutboundTemplateComponentSchema,
  OutboundTemplateHeaderComponentSchema,
  OutboundTemplateBodyComponentSchema,
  OutboundTemplateButtonComponentSchema,
  type OutboundTemplate,
  type OutboundTemplateMessage,
  type OutboundTemplateComponent,
} from './template';

// Read receipts and typing indicator
export { markAsReadBody, OutboundMarkAsReadSchema, type OutboundMarkAsRead } from './status';
