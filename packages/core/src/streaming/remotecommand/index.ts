export {
  commandStatus,
  encodeStatus,
  ResizeDecoder,
  SPDY_REMOTECOMMAND_PROTOCOLS,
  type CommandKind,
  type CommandStatus,
} from './protocol.js';
export { type RemoteCommandRequest, type RemoteCommandRunner } from './session.js';
export { serveRemoteCommandSpdy } from './spdy.js';
export { serveRemoteCommandWebSocket, WS_REMOTECOMMAND_PROTOCOLS } from './websocket.js';
