/**
 * `@vkubelet/core/spdy`: the SPDY/3.1 session of the kubelet API server. The codec, the session and
 * its streams live in `@vkubelet/provider-kit/streaming` (the clients providers use run on them too)
 * and are re-exported here, `SpdyServerConnection` being the session with its default (server) role;
 * the HTTP upgrade handling of the server is core's.
 * @packageDocumentation
 */
export {
  ControlType,
  dataFrameHeader,
  DEFAULT_WINDOW_SIZE,
  encodeHeaderBlock,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameSplitter,
  GoAwayStatus,
  headersFrom,
  headerValue,
  MAX_FRAME_LENGTH,
  RstStatus,
  SettingsId,
  SPDY3_HEADER_DICTIONARY,
  SPDY_VERSION,
  SpdyCodec,
  SpdyConnection,
  SpdyConnection as SpdyServerConnection,
  SpdyProtocolError,
  SpdyStream,
  type RawFrame,
  type SettingsEntry,
  type SpdyConnectionOptions,
  type SpdyFrame,
  type SpdyHeaders,
} from '@vkubelet/provider-kit/streaming';
export {
  acceptSpdyUpgrade,
  isSpdyUpgrade,
  negotiateProtocol,
  rejectUpgrade,
  type Negotiation,
} from './upgrade.js';
