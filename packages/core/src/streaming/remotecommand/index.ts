export type { CommandKind } from '@vkubelet/provider-kit/streaming';
export { type RemoteCommandRequest, type RemoteCommandRunner } from './session.js';
export { serveRemoteCommandSpdy } from './spdy.js';
export { serveRemoteCommandWebSocket, WS_REMOTECOMMAND_PROTOCOLS } from './websocket.js';
