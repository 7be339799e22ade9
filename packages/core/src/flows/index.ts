export {
  loadFlowPrivateKey,
  decryptFlowRequest,
  encryptFlowResponse,
  flipIv,
  normalizePem,
  type EncryptedFlowRequest,
  type FlowCipherSession,
} from './crypto';
export { FlowEndpointError } from './errors';
export {
  handleFlowEndpointPost,
  flowSessionFromToken,
  encryptFlowReply,
  completeFlowResponse,
  validateFlowResponse,
  MAX_FLOW_REQUEST_BYTES,
  type InboundFlowRequest,
  type FlowSessionToken,
  type FlowEndpointReply,
  type FlowEndpointRequest,
  type FlowEndpointInput,
  type OutboundFlowResponse,
} from './endpoint';
export { listFlows, getFlowPreview, publishFlow, getFlowEndpoint, setFlowEndpoint, type FlowInfo, type FlowPreview } from './management';
