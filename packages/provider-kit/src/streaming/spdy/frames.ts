/** SPDY/3.1 frame model (draft-mbelshe-httpbis-spdy-00 plus the 3.1 session window). */

export const SPDY_VERSION = 3;

export const ControlType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS. */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

export const SettingsId = { MaxConcurrentStreams: 4, InitialWindowSize: 7 } as const;

/** The initial per-stream and per-session flow-control window of SPDY/3.1. */
export const DEFAULT_WINDOW_SIZE = 64 * 1024;

/** Largest length a frame header can express (24 bits). */
export const MAX_FRAME_LENGTH = 0xffffff;

/**
 * Header names are lower case on the wire (spdystream's reader fails the whole connection on an
 * upper-case name); a name may carry several values, NUL-separated on the wire.
 */
export type SpdyHeaders = Map<string, string[]>;

export interface SettingsEntry {
  flags: number;
  id: number;
  value: number;
}

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'syn_stream';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
    }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clear: boolean; entries: SettingsEntry[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number };

/** A frame that violates the framing rules; `fatal` ones corrupt the session (GOAWAY). */
export class SpdyProtocolError extends Error {
  constructor(
    message: string,
    readonly streamId = 0,
    readonly rstStatus: number = RstStatus.ProtocolError,
  ) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

/** Convenience for building header maps from plain records. */
export function headersFrom(record: Record<string, string | string[]>): SpdyHeaders {
  const headers: SpdyHeaders = new Map();
  for (const [name, value] of Object.entries(record)) {
    headers.set(name.toLowerCase(), Array.isArray(value) ? value : [value]);
  }
  return headers;
}

/** First value of a header, matched case-insensitively (names are stored lower case). */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}
