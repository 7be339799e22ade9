import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
  message:
    | 'getMany'
    | 'getStatus'
    | 'getSummary'
    | 'markAsRead'
    | 'sendAndWait'
    | 'sendCallPermissionRequest'
    | 'sendChoices'
    | 'sendContacts'
    | 'sendInteractive'
    | 'sendLocation'
    | 'sendMedia'
    | 'sendReaction'
    | 'sendSticker'
    | 'sendTemplate'
    | 'sendText';
  media: 'upload' | 'download' | 'delete';
  flow: 'respond' | 'list' | 'getPreview' | 'publish';
  group: 'create' | 'get' | 'getInviteLink' | 'sendText';
  template: 'list' | 'get' | 'create' | 'createFromLibrary' | 'delete';
  analytics: 'pricing' | 'templates';
  phoneNumber: 'getHealth' | 'diagnose' | 'register' | 'deregister';
  businessProfile: 'get' | 'update';
  user: 'block' | 'unblock' | 'list' | 'forget';
  webhook: 'subscribeApp' | 'setOverride' | 'clearOverride';
};

export type WhatsAppCloudType = AllEntities<NodeMap>;
