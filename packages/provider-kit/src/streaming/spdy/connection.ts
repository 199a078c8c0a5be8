import type { Duplex } from 'node:stream';

import { noopLogger, type Logger } from '../../logger.js';
import { dataFrameHeader, FrameSplitter, SpdyCodec, type RawFrame } from './codec.js';
import {
  GoAwayStatus,
  headersFrom,
  RstStatus,
  SpdyProtocolError,
  type SpdyFrame,
  type SpdyHeaders,
} from './frames.js';
import { SpdyStream, type StreamHost } from './stream.js';
import { errorMessage } from '../../errdefs/error-message.js';

export interface SpdyConnectionOptions {
  /**
   * Which end of the session this is: the server accepts the streams a client opens (odd ids); a
   * client opens them (`openStream`). Default `server`.
   */
  role?: 'server' | 'client';
  /** Close the session after this long without a frame in either direction (default: never). */
  idleTimeoutMs?: number;
  logger?: Logger;
  /**
   * The peer opened a stream; it has already been answered with SYN_REPLY (as the kubelet does).
   * Without this, streams the peer opens are refused.
   */
  onStream?: (stream: SpdyStream) => void;
  /** Refuse streams beyond this many open at once (RST REFUSED_STREAM). */
  maxConcurrentStreams?: number;
}

/** Largest DATA frame we send; Go readers allocate a frame at a time, so keep it moderate. */
const MAX_DATA_FRAME = 64 * 1024;

/** Frames parsed but not yet handled (they wait while a header block decompresses). */
const MAX_INBOUND_BACKLOG = 256;

/** How long a closed session waits for the client to close the socket before destroying it. */
const SOCKET_LINGER_MS = 10_000;

type OutItem = { bytes: Buffer | Promise<Buffer>; written?: (error?: Error | null) => void } | { end: true };

/**
 * One SPDY/3.1 session on an upgraded socket, either end. The server accepts the client's streams
 * (odd ids, strictly increasing); the client opens them with `openStream`. Each end echoes the pings
 * the other starts, answers protocol errors with RST_STREAM (or GOAWAY when the session state is
 * corrupt), and sends GOAWAY on close. The kubelet API server in core and the remote command clients
 * of this package run on this class, so both directions speak the same codec.
 *
 * Flow control: inbound, each stream buffers at most one window (64 KiB) for its reader; past that
 * the socket is paused until the reader catches up, and WINDOW_UPDATEs are sent as the reader
 * consumes. Kubernetes' spdystream ignores WINDOW_UPDATE/SETTINGS entirely (neither honouring nor
 * sending them), so the paused socket, i.e. TCP backpressure, is what really bounds memory. Outbound,
 * a stream's write completes only when the socket accepted the bytes without exceeding its buffer,
 * so a slow client slows the writer instead of growing memory; we do not wait for peer
 * WINDOW_UPDATEs for the same reason (spdystream never sends them, waiting would deadlock at 64 KiB).
 */
export class SpdyConnection implements StreamHost {
  private readonly codec = new SpdyCodec();
  private readonly splitter = new FrameSplitter();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly congestedStreams = new Set<SpdyStream>();
  private readonly closeController = new AbortController();
  private readonly inbound: RawFrame[] = [];
  private readonly outbound: OutItem[] = [];
  private readonly idleTimer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly client: boolean;
  private decoding = false;
  private flushing = false;
  /** The highest stream id the peer opened. */
  private lastStreamId = 0;
  /** The next id for a stream of ours: odd for a client, even for a server. */
  private nextStreamId: number;
  private goAwaySent = false;
  private readingPaused = false;
  /** Why the socket ended under us, once it did. */
  private peerGone: string | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly options: SpdyConnectionOptions = {},
  ) {
    this.logger = options.logger ?? noopLogger;
    this.client = options.role === 'client';
    this.nextStreamId = this.client ? 1 : 2;
    if (options.idleTimeoutMs !== undefined && options.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => this.onIdle(), options.idleTimeoutMs);
      this.idleTimer.unref();
    }
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Frames that arrived before the peer closed are handled first (some wait for zlib): a FIN in
    // them must reach its stream before the session ends.
    socket.on('end', () => {
      this.peerGone ??= 'peer closed the connection';
      this.pump();
    });
    socket.on('close', () => {
      this.peerGone ??= 'connection closed';
      this.pump();
    });
    socket.on('error', (error: Error) => this.terminate(`connection error: ${error.message}`));
  }

  /** Aborted (with a reason) when the session ends for any reason: client gone, GOAWAY, idle, close(). */
  get signal(): AbortSignal {
    return this.closeController.signal;
  }

  /** Feed bytes that arrived with the upgrade request (the `head` of the 'upgrade' event). */
  receive(chunk: Buffer): void {
    if (chunk.length === 0 || this.signal.aborted) return;
    this.idleTimer?.refresh();
    for (const frame of this.splitter.push(chunk)) this.inbound.push(frame);
    this.pump();
    this.updateReading();
  }

  /**
   * Opens a stream of ours (SYN_STREAM) with these headers; data written to it follows the SYN in
   * order, `end()` half-closes it. Throws once the session has ended.
   */
  openStream(headers: Record<string, string> | SpdyHeaders): SpdyStream {
    if (this.signal.aborted) throw new Error(`spdy session ended: ${String(this.signal.reason)}`);
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    const map = headers instanceof Map ? headers : headersFrom(headers);
    const stream = new SpdyStream(this, streamId, map);
    stream.on('error', (error: Error) =>
      this.logger.debug('spdy: stream error', { streamId, error: error.message }),
    );
    this.streams.set(streamId, stream);
    this.enqueue(
      this.codec.encode({
        type: 'syn_stream',
        streamId,
        associatedStreamId: 0,
        priority: 0,
        fin: false,
        unidirectional: false,
        headers: map,
      }),
    );
    return stream;
  }

  /** Graceful close: GOAWAY after everything queued, then end the socket. */
  close(): void {
    if (this.signal.aborted) return;
    this.sendGoAway(GoAwayStatus.Ok);
    this.outbound.push({ end: true });
    void this.flush();
    this.terminate('closed by server', false);
  }

  /** Abrupt close without GOAWAY (the socket is unusable). */
  destroy(reason = 'destroyed'): void {
    this.terminate(reason);
    this.socket.destroy();
  }

  // ---- inbound -------------------------------------------------------------------------------

  /** Frames are handled strictly in order; only header blocks make decoding wait (for zlib). */
  private pump(): void {
    if (this.decoding) return;
    while (this.inbound.length > 0 && !this.signal.aborted) {
      const raw = this.inbound.shift()!;
      let decoded: SpdyFrame | undefined | Promise<SpdyFrame>;
      try {
        decoded = this.codec.decode(raw);
      } catch (error) {
        this.onProtocolError(error);
        continue;
      }
      if (decoded instanceof Promise) {
        this.decoding = true;
        decoded.then(
          frame => this.afterDecode(frame),
          (error: unknown) => this.afterDecode(undefined, error),
        );
        return;
      }
      if (decoded) this.handle(decoded);
    }
    if (this.peerGone !== undefined) {
      // The peer half-closing is the end of the session for SPDY's purposes: finish ours too.
      this.terminate(this.peerGone, true, true);
      this.outbound.push({ end: true });
      void this.flush();
      return;
    }
    this.updateReading();
  }

  private afterDecode(frame: SpdyFrame | undefined, error?: unknown): void {
    this.decoding = false;
    if (this.signal.aborted) {
      if (this.peerGone !== undefined) this.terminate(this.peerGone, true, true);
      return;
    }
    if (error !== undefined) {
      // The shared zlib context is now out of step with the client's: nothing later can be trusted.
      this.fatal(`bad header block: ${errorMessage(error)}`);
      return;
    }
    if (frame) this.handle(frame);
    this.pump();
  }

  private handle(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'syn_stream':
        return this.onSynStream(frame);
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        if (!stream) {
          this.sendReset(
            frame.streamId,
            frame.streamId > this.lastStreamId ? RstStatus.InvalidStream : RstStatus.StreamAlreadyClosed,
          );
          return;
        }
        if (stream.remoteClosed) {
          stream.reset(RstStatus.StreamAlreadyClosed);
          return;
        }
        stream.receiveData(frame.data, frame.fin);
        return;
      }
      case 'headers':
        if (frame.fin) this.streams.get(frame.streamId)?.receiveFin();
        return;
      case 'rst_stream':
        this.streams.get(frame.streamId)?.receiveReset(this.client);
        return;
      case 'ping':
        // A client's pings have odd ids, a server's even ones: echo the peer's, never our own.
        if (frame.id % 2 === (this.client ? 0 : 1)) this.enqueue(this.codec.encode(frame));
        return;
      case 'goaway':
        this.terminate('peer sent GOAWAY', true, true);
        this.socket.end();
        return;
      case 'syn_reply':
        // The answer to a stream of ours; a server opens none, so for it this is a protocol error.
        if (this.client && frame.streamId % 2 === 1) {
          if (frame.fin) this.streams.get(frame.streamId)?.receiveFin();
          return;
        }
        this.sendReset(frame.streamId, RstStatus.ProtocolError);
        return;
      case 'settings':
      case 'window_update':
        return; // see the class comment: the send side is paced by TCP, not by the peer's window.
    }
  }

  private onSynStream(frame: Extract<SpdyFrame, { type: 'syn_stream' }>): void {
    const { streamId } = frame;
    // The peer's streams: odd ids from a client, even ones from a server.
    if (streamId % 2 !== (this.client ? 0 : 1) || streamId <= this.lastStreamId) {
      this.logger.debug('spdy: invalid stream id from peer', { streamId, last: this.lastStreamId });
      this.sendReset(streamId, RstStatus.ProtocolError);
      return;
    }
    this.lastStreamId = streamId;
    const onStream = this.options.onStream;
    if (!onStream || this.goAwaySent || this.streams.size >= (this.options.maxConcurrentStreams ?? 1000)) {
      this.sendReset(streamId, RstStatus.RefusedStream);
      return;
    }
    const stream = new SpdyStream(this, streamId, frame.headers);
    // Errors of a stream (a write after the client reset it, say) concern that stream only.
    stream.on('error', (error: Error) =>
      this.logger.debug('spdy: stream error', { streamId, error: error.message }),
    );
    this.streams.set(streamId, stream);
    this.enqueue(this.codec.encode({ type: 'syn_reply', streamId, fin: false, headers: new Map() }));
    if (frame.fin) stream.receiveFin();
    if (frame.unidirectional) stream.end();
    onStream(stream);
  }

  private onProtocolError(error: unknown): void {
    if (error instanceof SpdyProtocolError && error.streamId !== 0) {
      this.logger.debug('spdy: stream protocol error', { streamId: error.streamId, error: error.message });
      const stream = this.streams.get(error.streamId);
      if (stream) stream.reset(error.rstStatus);
      else this.sendReset(error.streamId, error.rstStatus);
      return;
    }
    this.fatal(errorMessage(error));
  }

  private fatal(message: string): void {
    this.logger.warn('spdy: protocol error, closing session', { error: message });
    this.sendGoAway(GoAwayStatus.ProtocolError);
    this.outbound.push({ end: true });
    void this.flush();
    this.terminate(`protocol error: ${message}`, false);
  }

  private onIdle(): void {
    this.logger.info('spdy: closing idle session', { idleTimeoutMs: this.options.idleTimeoutMs });
    this.close();
  }

  // ---- StreamHost ------------------------------------------------------------------------------

  writeData(streamId: number, data: Buffer, fin: boolean, done: (error?: Error | null) => void): void {
    if (this.signal.aborted) {
      done();
      return;
    }
    this.idleTimer?.refresh();
    if (data.length === 0) {
      this.enqueue(dataFrameHeader(streamId, fin, 0), done);
      return;
    }
    for (let offset = 0; offset < data.length; offset += MAX_DATA_FRAME) {
      const chunk = data.subarray(offset, offset + MAX_DATA_FRAME);
      const last = offset + MAX_DATA_FRAME >= data.length;
      this.enqueue(dataFrameHeader(streamId, fin && last, chunk.length));
      this.enqueue(chunk, last ? done : undefined);
    }
  }

  reset(streamId: number, status: number): void {
    this.sendReset(streamId, status);
  }

  windowUpdate(streamId: number, delta: number): void {
    if (this.signal.aborted) return;
    // SPDY/3.1 has a session window too; the consumed bytes count against both.
    this.enqueue(this.codec.encode({ type: 'window_update', streamId, delta }));
    this.enqueue(this.codec.encode({ type: 'window_update', streamId: 0, delta }));
  }

  congested(stream: SpdyStream, congested: boolean): void {
    if (congested) this.congestedStreams.add(stream);
    else this.congestedStreams.delete(stream);
    this.updateReading();
  }

  /**
   * Reads the socket only while every stream reader keeps up and the frames waiting behind a header
   * decompression stay few; otherwise TCP holds the client back.
   */
  private updateReading(): void {
    const pause = this.congestedStreams.size > 0 || this.inbound.length > MAX_INBOUND_BACKLOG;
    if (pause === this.readingPaused || (!pause && this.signal.aborted)) return;
    this.readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  // ---- outbound --------------------------------------------------------------------------------

  private sendReset(streamId: number, status: number): void {
    if (this.signal.aborted) return;
    this.enqueue(this.codec.encode({ type: 'rst_stream', streamId, status }));
  }

  private sendGoAway(status: number): void {
    if (this.goAwaySent || this.signal.aborted) return;
    this.goAwaySent = true;
    this.enqueue(this.codec.encode({ type: 'goaway', lastGoodStreamId: this.lastStreamId, status }));
  }

  private enqueue(bytes: Buffer | Promise<Buffer>, written?: (error?: Error | null) => void): void {
    this.outbound.push(written ? { bytes, written } : { bytes });
    if (!this.flushing) void this.flush();
  }

  /** Writes queued frames in order; a pending header compression holds back everything after it. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    // Corked, a DATA header and its payload leave in one writev instead of two syscalls.
    this.socket.cork();
    try {
      while (this.outbound.length > 0) {
        const item = this.outbound.shift()!;
        if ('end' in item) {
          this.socket.end();
          continue;
        }
        let bytes: Buffer;
        if (item.bytes instanceof Promise) {
          this.socket.uncork();
          bytes = await item.bytes;
          this.socket.cork();
        } else bytes = item.bytes;
        if (this.socket.destroyed || this.socket.writableEnded) {
          item.written?.();
          continue;
        }
        const accepted = this.socket.write(bytes);
        if (item.written) {
          const written = item.written;
          if (accepted) written();
          else this.onDrain(written);
        }
      }
    } catch (error) {
      this.logger.error('spdy: failed to encode a frame', { error: errorMessage(error) });
      this.destroy('encoding failure');
    } finally {
      this.flushing = false;
      this.socket.uncork();
    }
  }

  private onDrain(callback: () => void): void {
    const done = (): void => {
      this.socket.off('drain', done);
      this.socket.off('close', done);
      callback();
    };
    this.socket.on('drain', done);
    this.socket.on('close', done);
  }

  // ---- teardown --------------------------------------------------------------------------------

  /**
   * Ends the session. A client whose server closed it (GOAWAY, or the end of the socket) reads that
   * as the end of what each stream was sending, as a server closes the session once it wrote the
   * command's status; anything else cuts the streams off.
   */
  private terminate(reason: string, destroyStreams = true, peerClosed = false): void {
    if (!this.signal.aborted) {
      this.logger.debug('spdy: session ended', { reason });
      this.closeController.abort(new Error(reason));
      clearTimeout(this.idleTimer);
      // Keep reading (receive() now discards) so the client's FIN is seen even if a slow stream
      // reader had paused the socket; and do not wait for a client that never closes.
      this.socket.resume();
      setTimeout(() => this.socket.destroy(), SOCKET_LINGER_MS).unref();
    }
    if (!destroyStreams) return;
    const graceful = peerClosed && this.client;
    for (const stream of [...this.streams.values()]) stream.connectionClosed(graceful);
    this.streams.clear();
    this.congestedStreams.clear();
    if (this.socket.destroyed) this.codec.close();
  }
}
