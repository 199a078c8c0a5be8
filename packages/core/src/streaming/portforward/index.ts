export { parsePort, type PortForwardRunner } from './pairs.js';
export { PORT_FORWARD_PROTOCOL, runPortForwardSession, servePortForwardSpdy } from './spdy.js';
export { servePortForwardWebSocket, WS_PORT_FORWARD_PROTOCOLS } from './websocket.js';
