import {
  ControlType,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  MAX_FRAME_LENGTH,
  SPDY_VERSION,
  RstStatus,
  SpdyProtocolError,
  type SettingsEntry,
  type SpdyFrame,
  type SpdyHeaders,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-zlib.js';
import { errorMessage } from '../../errdefs/error-message.js';

const FRAME_HEADER_BYTES = 8;
const STREAM_ID_MASK = 0x7fffffff;

/** A frame cut out of the byte stream; header blocks are still compressed. */
export interface RawFrame {
  control: boolean;
  /** Control frame type, or the stream id of a DATA frame. */
  typeOrStreamId: number;
  version: number;
  flags: number;
  payload: Buffer;
}

/**
 * Splits a byte stream into frames. Frames of any length the format allows are accepted; the caller
 * limits memory by pausing the socket (see connection flow control).
 */
export class FrameSplitter {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Bytes the frame at the head needs in total, once its header is known: no copying until then. */
  private needed = FRAME_HEADER_BYTES;

  push(chunk: Buffer): RawFrame[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: RawFrame[] = [];
    if (this.bufferedBytes < this.needed) return frames;
    let buffer = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    let offset = 0;
    while (buffer.length - offset >= FRAME_HEADER_BYTES) {
      const word0 = buffer.readUInt32BE(offset);
      const word1 = buffer.readUInt32BE(offset + 4);
      const length = word1 & MAX_FRAME_LENGTH;
      if (buffer.length - offset < FRAME_HEADER_BYTES + length) break;
      const control = (word0 & 0x80000000) !== 0;
      frames.push({
        control,
        typeOrStreamId: control ? word0 & 0xffff : word0 & STREAM_ID_MASK,
        version: control ? (word0 >>> 16) & 0x7fff : SPDY_VERSION,
        flags: word1 >>> 24,
        payload: buffer.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length),
      });
      offset += FRAME_HEADER_BYTES + length;
    }
    buffer = buffer.subarray(offset);
    this.buffered = buffer.length > 0 ? [buffer] : [];
    this.bufferedBytes = buffer.length;
    this.needed =
      buffer.length >= FRAME_HEADER_BYTES
        ? FRAME_HEADER_BYTES + (buffer.readUInt32BE(4) & MAX_FRAME_LENGTH)
        : FRAME_HEADER_BYTES;
    return frames;
  }
}

function decodeHeaderBlock(block: Buffer, streamId: number): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  const fail = (): never => {
    throw new SpdyProtocolError('malformed header block', streamId);
  };
  if (block.length < 4) fail();
  const count = block.readUInt32BE(0);
  let offset = 4;
  const readString = (): string => {
    if (block.length - offset < 4) fail();
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (block.length - offset < length) fail();
    const text = block.toString('utf8', offset, offset + length);
    offset += length;
    return text;
  };
  for (let i = 0; i < count; i++) {
    // Names are case-insensitive for us: clients that canonicalize (`Port`, `RequestId`) still match.
    const name = readString().toLowerCase();
    if (name.length === 0) fail();
    const values = readString().split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(headers.size, 0);
  for (const [name, values] of headers) {
    for (const text of [name.toLowerCase(), values.join('\0')]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_LENGTH) throw new RangeError('frame payload too large');
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, 0);
  header.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([header, payload]);
}

function uint32s(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => buffer.writeUInt32BE(value >>> 0, i * 4));
  return buffer;
}

/** DATA frame header; the payload is written separately so large chunks are not copied. */
export function dataFrameHeader(streamId: number, fin: boolean, length: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  header.writeUInt32BE((((fin ? FLAG_FIN : 0) << 24) | length) >>> 0, 4);
  return header;
}

/**
 * Encodes and decodes the frames of one session. Holds the two header compression contexts, so one
 * codec serves exactly one connection; `encode`/`decode` calls with header blocks must each be
 * issued in wire order and not overlap (the connection serializes them).
 */
export class SpdyCodec {
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();

  /** Encodes one frame; only frames carrying headers need to wait for zlib. */
  encode(frame: SpdyFrame): Buffer | Promise<Buffer> {
    switch (frame.type) {
      case 'data':
        return Buffer.concat([dataFrameHeader(frame.streamId, frame.fin, frame.data.length), frame.data]);
      case 'syn_stream': {
        const prefix = Buffer.alloc(10);
        prefix.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
        prefix.writeUInt32BE(frame.associatedStreamId & STREAM_ID_MASK, 4);
        prefix.writeUInt8((frame.priority & 0x7) << 5, 8);
        const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
        return this.withHeaders(ControlType.SynStream, flags, prefix, frame.headers);
      }
      case 'syn_reply':
      case 'headers': {
        const type = frame.type === 'syn_reply' ? ControlType.SynReply : ControlType.Headers;
        return this.withHeaders(
          type,
          frame.fin ? FLAG_FIN : 0,
          uint32s(frame.streamId & STREAM_ID_MASK),
          frame.headers,
        );
      }
      case 'rst_stream':
        return controlFrame(ControlType.RstStream, 0, uint32s(frame.streamId & STREAM_ID_MASK, frame.status));
      case 'settings': {
        const payload = Buffer.alloc(4 + frame.entries.length * 8);
        payload.writeUInt32BE(frame.entries.length, 0);
        frame.entries.forEach((entry, i) => {
          payload.writeUInt32BE(((entry.flags << 24) | (entry.id & 0xffffff)) >>> 0, 4 + i * 8);
          payload.writeUInt32BE(entry.value >>> 0, 8 + i * 8);
        });
        return controlFrame(ControlType.Settings, frame.clear ? 1 : 0, payload);
      }
      case 'ping':
        return controlFrame(ControlType.Ping, 0, uint32s(frame.id));
      case 'goaway':
        return controlFrame(
          ControlType.GoAway,
          0,
          uint32s(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status),
        );
      case 'window_update':
        return controlFrame(
          ControlType.WindowUpdate,
          0,
          uint32s(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK),
        );
    }
  }

  private async withHeaders(
    type: number,
    flags: number,
    prefix: Buffer,
    headers: SpdyHeaders,
  ): Promise<Buffer> {
    const block = await this.compressor.compress(encodeHeaderBlock(headers));
    return controlFrame(type, flags, Buffer.concat([prefix, block]));
  }

  /**
   * Decodes a raw frame. Returns undefined for control frames of unknown type, which SPDY says to
   * ignore. Throws SpdyProtocolError for malformed frames; a header block failure corrupts the shared
   * zlib context, so callers treat it as fatal for the session.
   */
  decode(raw: RawFrame): SpdyFrame | undefined | Promise<SpdyFrame> {
    if (!raw.control) {
      return {
        type: 'data',
        streamId: raw.typeOrStreamId,
        fin: (raw.flags & FLAG_FIN) !== 0,
        data: raw.payload,
      };
    }
    if (raw.version !== SPDY_VERSION) {
      throw new SpdyProtocolError(`unsupported SPDY version ${raw.version}`, 0, RstStatus.UnsupportedVersion);
    }
    const { payload, flags } = raw;
    const need = (bytes: number, exact = false): void => {
      if (exact ? payload.length !== bytes : payload.length < bytes) {
        throw new SpdyProtocolError(`control frame ${raw.typeOrStreamId} has bad length ${payload.length}`);
      }
    };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (raw.typeOrStreamId) {
      case ControlType.SynStream: {
        need(10);
        const streamId = payload.readUInt32BE(0) & STREAM_ID_MASK;
        const associatedStreamId = payload.readUInt32BE(4) & STREAM_ID_MASK;
        const priority = payload.readUInt8(8) >>> 5;
        const unidirectional = (flags & FLAG_UNIDIRECTIONAL) !== 0;
        return this.readHeaders(payload.subarray(10), streamId).then(headers => ({
          type: 'syn_stream' as const,
          streamId,
          associatedStreamId,
          priority,
          fin,
          unidirectional,
          headers,
        }));
      }
      case ControlType.SynReply:
      case ControlType.Headers: {
        need(4);
        const streamId = payload.readUInt32BE(0) & STREAM_ID_MASK;
        const type =
          raw.typeOrStreamId === ControlType.SynReply ? ('syn_reply' as const) : ('headers' as const);
        return this.readHeaders(payload.subarray(4), streamId).then(headers => ({
          type,
          streamId,
          fin,
          headers,
        }));
      }
      case ControlType.RstStream:
        need(8, true);
        return {
          type: 'rst_stream',
          streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
          status: payload.readUInt32BE(4),
        };
      case ControlType.Settings: {
        need(4);
        const count = payload.readUInt32BE(0);
        need(4 + count * 8, true);
        const entries: SettingsEntry[] = [];
        for (let i = 0; i < count; i++) {
          const word = payload.readUInt32BE(4 + i * 8);
          entries.push({ flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
        }
        return { type: 'settings', clear: (flags & 1) !== 0, entries };
      }
      case ControlType.Ping:
        need(4, true);
        return { type: 'ping', id: payload.readUInt32BE(0) };
      case ControlType.GoAway:
        need(8, true);
        return {
          type: 'goaway',
          lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
          status: payload.readUInt32BE(4),
        };
      case ControlType.WindowUpdate:
        need(8, true);
        return {
          type: 'window_update',
          streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
          delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
        };
      default:
        return undefined;
    }
  }

  private async readHeaders(compressed: Buffer, streamId: number): Promise<SpdyHeaders> {
    let block: Buffer;
    try {
      block = await this.decompressor.decompress(compressed);
    } catch (error) {
      throw new SpdyProtocolError(`header decompression failed: ${errorMessage(error)}`, streamId);
    }
    return decodeHeaderBlock(block, streamId);
  }

  close(): void {
    this.compressor.close();
    this.decompressor.close();
  }
}
