/**
 * `@vkubelet/provider-kit/streaming`: the kubelet streaming protocols (exec, attach, port-forward) on
 * both ends. The SPDY/3.1 session (frame codec, header compression with the SPDY dictionary, flow
 * control) and the WebSocket channel framing are the ones core's kubelet API server runs on; the
 * clients here speak them to a backend's streaming server (a container runtime, a kubelet). For a
 * backend with its own WebSocket exec protocol, `bridgeWebSocket` connects it to an AttachIO.
 * @packageDocumentation
 */
export { FrameSplitter, SpdyCodec, encodeHeaderBlock, dataFrameHeader, type RawFrame } from './spdy/codec.js';
export { SpdyConnection, type SpdyConnectionOptions } from './spdy/connection.js';
export { SPDY3_HEADER_DICTIONARY } from './spdy/dictionary.js';
export * from './spdy/frames.js';
export { SpdyStream, type StreamHost } from './spdy/stream.js';
export {
  dialSpdy,
  STREAM_PROTOCOL_HEADER,
  type SpdyDialOptions,
  type SpdySession,
} from './spdy/upgrade-client.js';
export { ChannelConnection, CLOSE_SIGNAL, type ChannelOptions } from './websocket/channels.js';
export { dialWebSocket, type WebSocketDialOptions } from './websocket/dial.js';
export { bridgeWebSocket, type MessageProtocol, type SessionEvent } from './websocket/bridge.js';
export {
  commandStatus,
  encodeSize,
  encodeStatus,
  exitCodeFromStatus,
  parseSize,
  RemoteCommandChannel,
  RemoteCommandError,
  REMOTECOMMAND_V2,
  REMOTECOMMAND_V3,
  REMOTECOMMAND_V4,
  REMOTECOMMAND_V5,
  ResizeDecoder,
  SPDY_REMOTECOMMAND_PROTOCOLS,
  spdyProtocolVersion,
  type CommandKind,
  type CommandStatus,
  type ProtocolVersion,
  type StreamType,
} from './remotecommand/protocol.js';
export { remoteCommandOverSpdy, type RemoteCommandClientOptions } from './remotecommand/spdy-client.js';
export { remoteCommandOverWebSocket } from './remotecommand/websocket-client.js';
export { PORT_FORWARD_PROTOCOL, portForwardOverSpdy } from './portforward/spdy-client.js';
