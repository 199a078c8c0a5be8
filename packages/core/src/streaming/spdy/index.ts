export { SpdyCodec, FrameSplitter, encodeHeaderBlock, type RawFrame } from './codec.js';
export { SpdyServerConnection, type SpdyConnectionOptions } from './connection.js';
export * from './frames.js';
export { SpdyStream } from './stream.js';
export {
  acceptSpdyUpgrade,
  isSpdyUpgrade,
  negotiateProtocol,
  rejectUpgrade,
  type Negotiation,
} from './upgrade.js';
export { SPDY3_HEADER_DICTIONARY } from './dictionary.js';
