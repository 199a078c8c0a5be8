import { Duplex } from 'node:stream';

import { DEFAULT_WINDOW_SIZE, RstStatus, type SpdyHeaders } from './frames.js';

/** What a stream needs from its connection. */
export interface StreamHost {
  /** Queue DATA frames; `done` runs once the socket accepted them (real backpressure). */
  writeData(streamId: number, data: Buffer, fin: boolean, done: (error?: Error | null) => void): void;
  reset(streamId: number, status: number): void;
  windowUpdate(streamId: number, delta: number): void;
  /** The stream's reader is behind: stop reading the socket until it catches up. */
  congested(stream: SpdyStream, congested: boolean): void;
  forget(stream: SpdyStream): void;
}

/**
 * One SPDY stream as a node Duplex: readable side = DATA from the peer until its FIN, writable side
 * = our DATA, `end()` sends FIN (half-close). `destroy()` before both sides finished sends RST_STREAM
 * CANCEL. A peer RST destroys the stream without an error event (so a provider that attached no
 * 'error' listener is not crashed by a client going away); `resetByPeer` tells why it closed.
 */
export class SpdyStream extends Duplex {
  resetByPeer = false;
  private remoteFinished = false;
  private localFinished = false;
  private connectionGone = false;
  private received = 0;
  private acknowledged = 0;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({
      readableHighWaterMark: DEFAULT_WINDOW_SIZE,
      writableHighWaterMark: DEFAULT_WINDOW_SIZE,
      allowHalfOpen: true,
    });
  }

  /** True once the peer sent FIN (or RST). */
  get remoteClosed(): boolean {
    return this.remoteFinished;
  }

  /** @internal connection → stream: DATA arrived. */
  receiveData(data: Buffer, fin: boolean): void {
    if (data.length > 0) {
      this.received += data.length;
      if (!this.push(data)) this.host.congested(this, true);
    }
    if (fin) this.receiveFin();
  }

  /** @internal */
  receiveFin(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
    this.maybeForget();
  }

  /**
   * @internal the peer reset the stream. With `keepData` (a client, whose server resets its streams
   * once it has written everything, as Go's spdystream does) what arrived before is still read, then
   * the stream ends, as a Go reader sees it; otherwise the stream is cut off at once.
   */
  receiveReset(keepData = false): void {
    this.resetByPeer = true;
    const wasFinished = this.remoteFinished;
    this.remoteFinished = true;
    this.localFinished = true;
    if (keepData && !this.readableEnded) {
      if (!wasFinished) this.push(null);
      this.once('end', () => this.destroy());
      this.host.forget(this);
      return;
    }
    this.destroy();
  }

  /**
   * @internal the connection is gone; nothing more can be sent. `graceful`: the peer closed the
   * session on purpose, which ends what it was sending on this stream.
   */
  connectionClosed(graceful = false): void {
    this.connectionGone = true;
    // The peer closed the session: what it sent is read to its end, as after a FIN.
    if (graceful && !this.remoteFinished) {
      this.remoteFinished = true;
      this.push(null);
    }
    // What the peer finished sending is still read to its end; anything else is cut off.
    if (this.remoteFinished && !this.readableEnded) {
      this.localFinished = true;
      this.once('end', () => this.destroy());
      return;
    }
    this.destroy();
  }

  /** Reset the stream with a SPDY status (e.g. RstStatus.Cancel). */
  reset(status: number = RstStatus.Cancel): void {
    if (!this.connectionGone && !(this.localFinished && this.remoteFinished))
      this.host.reset(this.id, status);
    this.localFinished = true;
    this.remoteFinished = true;
    this.destroy();
  }

  override _read(): void {
    this.host.congested(this, false);
    // Window updates follow what the reader consumed, so a slow reader slows a flow-controlled peer.
    const consumed = this.received - this.readableLength;
    const delta = consumed - this.acknowledged;
    if (delta >= DEFAULT_WINDOW_SIZE / 2 && !this.remoteFinished) {
      this.acknowledged = consumed;
      this.host.windowUpdate(this.id, delta);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Nothing more goes to a stream the peer reset.
    if (this.resetByPeer) return callback();
    this.host.writeData(this.id, chunk, false, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.localFinished = true;
    if (this.connectionGone || this.resetByPeer) return callback();
    this.host.writeData(this.id, Buffer.alloc(0), true, error => {
      this.maybeForget();
      callback(error);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.connectionGone && !(this.localFinished && this.remoteFinished)) {
      this.localFinished = true;
      this.remoteFinished = true;
      this.host.reset(this.id, RstStatus.Cancel);
    }
    this.host.congested(this, false);
    this.host.forget(this);
    callback(error);
  }

  private maybeForget(): void {
    if (this.localFinished && this.remoteFinished) this.host.forget(this);
  }
}
