import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { constants, createDeflate, type Deflate } from 'node:zlib';

import { ControlType, FLAG_FIN, SPDY3_HEADER_DICTIONARY, SPDY_VERSION } from '@vkubelet/core/spdy';

/**
 * A minimal SPDY/3.1 client: enough to drive the kubelet remote command protocol on a runtime's
 * streaming server (containerd), whose WebSocket side (v4) cannot half-close stdin. It opens
 * client streams with headers, writes DATA with FIN, answers PING and returns receive window.
 * Server header blocks are never needed, so they are not decompressed.
 */
const MAX_DATA_FRAME = 16 * 1024;

export interface SpdyStreamHandlers {
  onData?(data: Buffer): void;
  onEnd?(): void;
}

export class SpdyClient {
  private nextStreamId = 1;
  private readonly handlers = new Map<number, SpdyStreamHandlers>();
  private readonly deflate: Deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  private compressing: Promise<unknown> = Promise.resolve();
  private pending: Buffer = Buffer.alloc(0);
  private closedListeners: ((error?: Error) => void)[] = [];
  private closed = false;

  constructor(
    private readonly socket: Socket,
    head: Buffer,
    /** The protocol version the server chose (X-Stream-Protocol-Version). */
    readonly protocol: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish());
    socket.on('error', error => this.finish(error));
    if (head.length) this.receive(head);
  }

  /** Opens a client stream (SYN_STREAM) with the given headers; resolves with its id. */
  async openStream(headers: Record<string, string>, handlers: SpdyStreamHandlers): Promise<number> {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    this.handlers.set(id, handlers);
    const block = await this.compress(encodeHeaders(headers));
    const body = Buffer.alloc(10);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(0, 4); // associated-to stream
    // priority 0, slot 0
    this.socket.write(controlFrame(ControlType.SynStream, 0, Buffer.concat([body, block])));
    return id;
  }

  /** Writes data on a stream; `fin` half-closes it (the peer reads EOF). */
  write(id: number, data: Buffer, fin = false): void {
    if (this.closed) return;
    for (let offset = 0; offset < data.length || (fin && offset === 0); offset += MAX_DATA_FRAME) {
      const part = data.subarray(offset, offset + MAX_DATA_FRAME);
      const last = offset + MAX_DATA_FRAME >= data.length;
      this.socket.write(dataFrame(id, fin && last ? FLAG_FIN : 0, part));
      if (data.length === 0) break;
    }
  }

  onClose(listener: (error?: Error) => void): void {
    if (this.closed) listener();
    else this.closedListeners.push(listener);
  }

  close(): void {
    this.socket.destroy();
    this.finish();
  }

  private compress(block: Buffer): Promise<Buffer> {
    // One zlib context per direction: blocks must be compressed strictly in order.
    const result = this.compressing.then(
      () =>
        new Promise<Buffer>(resolve => {
          const parts: Buffer[] = [];
          const onData = (part: Buffer): void => void parts.push(part);
          this.deflate.on('data', onData);
          this.deflate.write(block);
          this.deflate.flush(constants.Z_SYNC_FLUSH, () => {
            this.deflate.off('data', onData);
            resolve(Buffer.concat(parts));
          });
        }),
    );
    this.compressing = result;
    return result;
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const length = this.pending.readUIntBE(5, 3);
      if (this.pending.length < 8 + length) return;
      const frame = this.pending.subarray(0, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      const flags = frame[4]!;
      const payload = frame.subarray(8);
      if (frame[0]! & 0x80) this.control(frame.readUInt16BE(2), payload);
      else this.data(frame.readUInt32BE(0) & 0x7fffffff, flags, payload);
    }
  }

  private control(type: number, payload: Buffer): void {
    switch (type) {
      case ControlType.Ping:
        this.socket.write(controlFrame(ControlType.Ping, 0, payload));
        break;
      case ControlType.RstStream:
        this.endStream(payload.readUInt32BE(0) & 0x7fffffff);
        break;
      case ControlType.GoAway:
        this.close();
        break;
      default:
        // SYN_REPLY, SETTINGS, HEADERS, WINDOW_UPDATE: nothing this client needs.
        break;
    }
  }

  private data(id: number, flags: number, payload: Buffer): void {
    const handlers = this.handlers.get(id);
    if (payload.length) {
      handlers?.onData?.(payload);
      // Give the window back at once: the consumer is a Node stream with its own buffering.
      const update = Buffer.alloc(8);
      update.writeUInt32BE(id, 0);
      update.writeUInt32BE(payload.length, 4);
      if (!this.closed) this.socket.write(controlFrame(ControlType.WindowUpdate, 0, update));
    }
    if (flags & FLAG_FIN) this.endStream(id);
  }

  private endStream(id: number): void {
    const handlers = this.handlers.get(id);
    this.handlers.delete(id);
    handlers?.onEnd?.();
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.handlers.keys()]) this.endStream(id);
    this.deflate.destroy();
    for (const listener of this.closedListeners.splice(0)) listener(error);
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(payload.length, 4);
  header[4] = flags;
  return Buffer.concat([header, payload]);
}

function dataFrame(id: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(id & 0x7fffffff, 0);
  header.writeUInt32BE(payload.length, 4);
  header[4] = flags;
  return Buffer.concat([header, payload]);
}

/** SPDY/3 header block: count, then length-prefixed lowercase names and values. */
export function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(Object.keys(headers).length, 0);
  parts.push(count);
  for (const [name, value] of Object.entries(headers)) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length, 0);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

/** Upgrades an HTTP request on the streaming server to SPDY/3.1, offering `protocols` in order. */
export function connectSpdy(url: string, protocols: string[], signal: AbortSignal): Promise<SpdyClient> {
  return new Promise<SpdyClient>((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      signal,
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols },
    });
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      const protocol = String(res.headers['x-stream-protocol-version'] ?? '');
      resolve(new SpdyClient(socket, head, protocol));
    });
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () =>
        reject(new Error(`streaming server refused the upgrade: HTTP ${res.statusCode} ${body.trim()}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
