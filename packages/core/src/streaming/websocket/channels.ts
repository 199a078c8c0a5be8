import type { IncomingMessage } from 'node:http';
import { Readable, Writable, type Duplex } from 'node:stream';

import type { Logger } from '@vkubelet/provider-kit';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/** v5 clients close one direction of a channel with the message [CLOSE_SIGNAL, channel]. */
const CLOSE_SIGNAL = 255;

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function offeredSubprotocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map(p => p.trim())
    .filter(p => p.length > 0);
}

const chosenProtocols = new WeakMap<IncomingMessage, string>();
let server: Promise<WebSocketServer> | undefined;

/** ws is loaded with the first WebSocket stream: an agent nobody streams through never holds it. */
function webSocketServer(): Promise<WebSocketServer> {
  server ??= import('ws').then(
    ({ WebSocketServer }) =>
      new WebSocketServer({
        noServer: true,
        perMessageDeflate: false,
        // 16 MiB: a message carries at most one write of a stream; Go and JS clients send far smaller ones.
        maxPayload: 16 * 1024 * 1024,
        handleProtocols: (_offered, req) => chosenProtocols.get(req) ?? false,
      }),
  );
  return server;
}

/** Completes the WebSocket handshake with an already-chosen subprotocol ("" = none). */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string,
): Promise<WebSocket> {
  // The choice is already made. Go clients offer names that are not RFC 6455 tokens
  // ("SPDY/3.1+portforward.k8s.io"), which ws would refuse to parse, so it gets a stand-in offer.
  if (protocol !== '') {
    chosenProtocols.set(req, protocol);
    req.headers['sec-websocket-protocol'] = 'negotiated';
  } else delete req.headers['sec-websocket-protocol'];
  return webSocketServer().then(
    wss => new Promise(resolve => wss.handleUpgrade(req, socket, head, ws => resolve(ws))),
  );
}

export interface ChannelOptions {
  /** Text messages: a channel digit, then base64 data (`base64.channel.k8s.io` family). */
  base64: boolean;
  /** v5: honour the client's CLOSE signal. */
  closeSignal: boolean;
  logger: Logger;
  idleTimeoutMs: number;
}

/**
 * The k8s channel protocol over one WebSocket: every message is `[channel byte] + data` (or its
 * base64 text form). Readables buffer one window and pause the socket beyond it; writables complete a
 * write only once ws flushed it, so a slow client slows the writer.
 */
export class ChannelConnection {
  private readonly readables = new Map<number, Readable>();
  private readonly paused = new Set<number>();
  private readonly gone = new AbortController();
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: ChannelOptions,
  ) {
    this.idleTimer = setTimeout(() => {
      options.logger.info('websocket: closing idle session', { idleTimeoutMs: options.idleTimeoutMs });
      this.close();
    }, options.idleTimeoutMs);
    this.idleTimer.unref();
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => this.terminate('client closed the connection'));
    ws.on('error', (error: Error) => this.terminate(`websocket error: ${error.message}`));
  }

  get clientGone(): AbortSignal {
    return this.gone.signal;
  }

  /** Data the client sends on `channel`. */
  readable(channel: number): Readable {
    const readable = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        this.paused.delete(channel);
        if (this.paused.size === 0 && this.ws.readyState === this.ws.OPEN) this.ws.resume();
      },
    });
    readable.on('error', () => {});
    this.readables.set(channel, readable);
    return readable;
  }

  /** Data for the client on `channel`. */
  writable(channel: number): Writable {
    const writable = new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _encoding, callback) => this.send(channel, chunk, callback),
    });
    writable.on('error', () => {});
    return writable;
  }

  send(channel: number, data: Buffer, callback: (error?: Error | null) => void = () => {}): void {
    if (this.ws.readyState !== this.ws.OPEN) return callback();
    this.idleTimer.refresh();
    const message = this.options.base64
      ? String(channel) + data.toString('base64')
      : Buffer.concat([Buffer.from([channel]), data]);
    this.ws.send(message, { binary: !this.options.base64 }, () => callback());
  }

  close(code = 1000): void {
    this.terminate('closed by server');
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.idleTimer.refresh();
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
    const readable = this.readables.get(channel);
    if (!readable || readable.readableEnded || payload.length === 0) return;
    if (!readable.push(payload)) {
      this.paused.add(channel);
      this.ws.pause();
    }
  }

  private terminate(reason: string): void {
    if (this.gone.signal.aborted) return;
    clearTimeout(this.idleTimer);
    this.gone.abort(new Error(reason));
    for (const readable of this.readables.values()) if (!readable.readableEnded) readable.destroy();
  }
}
