import { Readable, Writable } from 'node:stream';

import { WebSocket, type RawData } from 'ws';

import { noopLogger, type Logger } from '../../logger.js';

/** v5 peers close one direction of a channel with the message [CLOSE_SIGNAL, channel]. */
export const CLOSE_SIGNAL = 255;

export interface ChannelOptions {
  /** Text messages: a channel digit, then base64 data (`base64.channel.k8s.io` family). */
  base64: boolean;
  /**
   * v5 (`v5.channel.k8s.io`): a server honours the client's CLOSE signal (stdin EOF); a client sends
   * it when a writable it opened with `closeOnEnd` ends.
   */
  closeSignal: boolean;
  /**
   * Which end this is. A server treats the peer going away as an abort (its readables are
   * destroyed); a client reads the server closing the socket normally as the end of every channel.
   * Default `server`.
   */
  role?: 'server' | 'client';
  logger?: Logger;
  /** Close the session after this long without a message (default: never). */
  idleTimeoutMs?: number;
}

/**
 * The Kubernetes channel protocol over one WebSocket, either end: every message is `[channel byte]
 * + data` (or its base64 text form). Readables buffer one window and pause the socket beyond it;
 * writables complete a write only once ws flushed it, so a slow peer slows the writer. Core's kubelet
 * API server and the WebSocket remote command client of this package both run on this class.
 */
export class ChannelConnection {
  private readonly readables = new Map<number, Readable>();
  private readonly paused = new Set<number>();
  private readonly gone = new AbortController();
  private readonly idleTimer: NodeJS.Timeout | undefined;
  private readonly client: boolean;
  private endedCleanly = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelOptions,
  ) {
    this.client = options.role === 'client';
    const timeout = options.idleTimeoutMs;
    if (timeout !== undefined && timeout > 0) {
      this.idleTimer = setTimeout(() => {
        (options.logger ?? noopLogger).info('websocket: closing idle session', { idleTimeoutMs: timeout });
        this.close();
      }, timeout);
      this.idleTimer.unref();
    }
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number) =>
      this.terminate('peer closed the connection', code === 1000 || code === 1005),
    );
    ws.on('error', (error: Error) => this.terminate(`websocket error: ${error.message}`));
    // A socket from dialWebSocket arrives paused so that no message precedes these listeners.
    ws.resume();
  }

  /** Aborted when the session ends for any reason. */
  get clientGone(): AbortSignal {
    return this.gone.signal;
  }

  /** Data the peer sends on `channel` (the same stream for every call). */
  readable(channel: number): Readable {
    const existing = this.readables.get(channel);
    if (existing) return existing;
    const readable = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        this.paused.delete(channel);
        if (this.paused.size === 0 && this.ws.readyState === WebSocket.OPEN) this.ws.resume();
      },
    });
    readable.on('error', () => {});
    this.readables.set(channel, readable);
    if (this.gone.signal.aborted) this.endReadable(readable);
    return readable;
  }

  /** Data for the peer on `channel`; with `closeOnEnd` (a v5 client), ending it sends CLOSE. */
  writable(channel: number, options: { closeOnEnd?: boolean } = {}): Writable {
    const writable = new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _encoding, callback) => this.send(channel, chunk, callback),
      final: callback => {
        if (options.closeOnEnd && this.options.closeSignal) this.sendClose(channel, callback);
        else callback();
      },
    });
    writable.on('error', () => {});
    return writable;
  }

  send(channel: number, data: Buffer, callback: (error?: Error | null) => void = () => {}): void {
    if (this.ws.readyState !== WebSocket.OPEN) return callback();
    this.idleTimer?.refresh();
    const message = this.options.base64
      ? String(channel) + data.toString('base64')
      : Buffer.concat([Buffer.from([channel]), data]);
    this.ws.send(message, { binary: !this.options.base64 }, () => callback());
  }

  close(code = 1000): void {
    this.terminate('closed locally');
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code);
  }

  private sendClose(channel: number, callback: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return callback();
    this.ws.send(Buffer.from([CLOSE_SIGNAL, channel]), { binary: true }, () => callback());
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.idleTimer?.refresh();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length === 0) return;
    let channel: number;
    let payload: Buffer;
    if (this.options.base64 && !isBinary) {
      const text = bytes.toString('utf8');
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      channel = bytes[0]!;
      payload = bytes.subarray(1);
    }
    if (channel === CLOSE_SIGNAL && this.options.closeSignal) {
      const target = payload[0];
      if (target !== undefined) this.readables.get(target)?.push(null);
      return;
    }
    // A client reads every channel the server writes; a server only those it asked for.
    const readable = this.client ? this.readable(channel) : this.readables.get(channel);
    if (!readable || readable.readableEnded || payload.length === 0) return;
    if (!readable.push(payload)) {
      this.paused.add(channel);
      this.ws.pause();
    }
  }

  private endReadable(readable: Readable): void {
    if (readable.readableEnded || readable.destroyed) return;
    if (this.endedCleanly) readable.push(null);
    else readable.destroy();
  }

  /**
   * Ends the session. A client reads a server's normal close (after the status) as the end of every
   * channel; anything else, and any end on a server's side, cuts the channels off.
   */
  private terminate(reason: string, normalClose = false): void {
    if (this.gone.signal.aborted) return;
    this.endedCleanly = this.client && normalClose;
    clearTimeout(this.idleTimer);
    this.gone.abort(new Error(reason));
    for (const readable of this.readables.values()) this.endReadable(readable);
  }
}
