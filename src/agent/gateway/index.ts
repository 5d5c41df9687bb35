export {
  GATEWAY_BASE_URL,
  GATEWAY_HOST,
  GatewayHttpError,
  ModelGateway,
  createGatewayApp,
  gatewayEnv,
  gatewayUpstream,
  type GatewayAppDeps,
  type GatewayRegistration,
  type ModelGatewayOptions,
  type TurnObserver,
  type TurnRecorder,
} from './model-gateway.js';
export { trainerResponder, upstreamResponder, type Responder, type ResponderResult, type TrainerAnswerFn, type UpstreamConfig } from './gateway-responder.js';
export {
  GatewayRequestSchema,
  TrainerAnswerSchema,
  contentText,
  type Completion,
  type GatewayMessage,
  type GatewayRequest,
  type GatewayTool,
  type TrainerAnswer,
  type Turn,
  type TurnRequest,
  type TurnResponse,
} from './gateway-wire.js';
