/**
 * A deliberately independent SPDY/3.1 client for tests: its own framing and its own zlib context, so
 * the server codec is checked against a second implementation rather than against itself. It behaves
 * like Kubernetes' spdystream: lower-case header names, no flow control of its own.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate } from 'node:zlib';

import { SPDY3_HEADER_DICTIONARY } from '@vkubelet/provider-kit/streaming';

export interface ReceivedFrame {
  control: boolean;
  type: number; // control type, or 0 for data
  streamId: number;
  flags: number;
  payload: Buffer;
}

export class TestStream {
  readonly chunks: Buffer[] = [];
  finished = false;
  reset: number | undefined;
  replied = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly client: TestSpdyClient,
    readonly id: number,
  ) {}

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  write(data: Buffer | string, fin = false): void {
    this.client.sendData(this.id, Buffer.from(data), fin);
  }

  end(): void {
    this.client.sendData(this.id, Buffer.alloc(0), true);
  }

  /** Resolves once the server sent FIN or RST on this stream. */
  closed(): Promise<void> {
    if (this.finished || this.reset !== undefined) return Promise.resolve();
    return new Promise(resolve => this.waiters.push(resolve));
  }

  /** @internal */
  notify(): void {
    if (this.finished || this.reset !== undefined) for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export class TestSpdyClient {
  readonly frames: ReceivedFrame[] = [];
  readonly streams = new Map<number, TestStream>();
  private nextId = 1;
  private buffered = Buffer.alloc(0);
  private readonly deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY, level: 9 });
  private readonly socketClosed: Promise<void>;
  /** Set to false to stop reading the socket (a slow client). */
  constructor(
    readonly socket: Duplex,
    readonly response: IncomingMessage | undefined,
    head: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socketClosed = new Promise(resolve => socket.on('close', () => resolve()));
    this.receive(head);
  }

  static connect(port: number, path: string, headers: Record<string, string>): Promise<TestSpdyClient> {
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', ...headers },
      });
      req.on('upgrade', (res, socket, head) => resolve(new TestSpdyClient(socket, res, head)));
      req.on('response', res => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          reject(
            Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), {
              statusCode: res.statusCode,
              body,
              headers: res.headers,
            }),
          ),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  closedSocket(): Promise<void> {
    return this.socketClosed;
  }

  async openStream(headers: Record<string, string>, fin = false): Promise<TestStream> {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new TestStream(this, id);
    this.streams.set(id, stream);
    const block = await this.compress(headers);
    const prefix = Buffer.alloc(10);
    prefix.writeUInt32BE(id, 0);
    this.sendControl(1, fin ? 1 : 0, Buffer.concat([prefix, block]));
    return stream;
  }

  /** Sends a SYN_STREAM with a chosen (possibly invalid) id. */
  async openStreamWithId(id: number, headers: Record<string, string>): Promise<void> {
    const block = await this.compress(headers);
    const prefix = Buffer.alloc(10);
    prefix.writeUInt32BE(id, 0);
    this.sendControl(1, 0, Buffer.concat([prefix, block]));
  }

  sendData(streamId: number, data: Buffer, fin: boolean): void {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(streamId, 0);
    header.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4);
    this.socket.write(Buffer.concat([header, data]));
  }

  sendControl(type: number, flags: number, payload: Buffer): void {
    const header = Buffer.alloc(8);
    header.writeUInt32BE((0x80000000 | (3 << 16) | type) >>> 0, 0);
    header.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
    this.socket.write(Buffer.concat([header, payload]));
  }

  ping(id: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(id, 0);
    this.sendControl(6, 0, payload);
  }

  rst(streamId: number, status = 5): void {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(streamId, 0);
    payload.writeUInt32BE(status, 4);
    this.sendControl(3, 0, payload);
  }

  goAway(): void {
    this.sendControl(7, 0, Buffer.alloc(8));
  }

  controlFrames(type: number): ReceivedFrame[] {
    return this.frames.filter(f => f.control && f.type === type);
  }

  private compress(headers: Record<string, string>): Promise<Buffer> {
    const entries = Object.entries(headers);
    const parts: Buffer[] = [u32(entries.length)];
    for (const [name, value] of entries) {
      for (const text of [name.toLowerCase(), value])
        parts.push(u32(Buffer.byteLength(text)), Buffer.from(text));
    }
    return new Promise(resolve => {
      const out: Buffer[] = [];
      const onData = (chunk: Buffer): void => void out.push(chunk);
      this.deflate.on('data', onData);
      this.deflate.write(Buffer.concat(parts));
      this.deflate.flush(constants.Z_SYNC_FLUSH, () => {
        setImmediate(() => {
          this.deflate.off('data', onData);
          resolve(Buffer.concat(out));
        });
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const w0 = this.buffered.readUInt32BE(0);
      const w1 = this.buffered.readUInt32BE(4);
      const length = w1 & 0xffffff;
      if (this.buffered.length < 8 + length) break;
      const payload = Buffer.from(this.buffered.subarray(8, 8 + length));
      this.buffered = this.buffered.subarray(8 + length);
      const control = (w0 & 0x80000000) !== 0;
      const type = control ? w0 & 0xffff : 0;
      const streamId = control
        ? length >= 4 && type !== 4 && type !== 6
          ? payload.readUInt32BE(0) & 0x7fffffff
          : 0
        : w0 & 0x7fffffff;
      const frame = { control, type, streamId, flags: w1 >>> 24, payload };
      this.frames.push(frame);
      this.handle(frame);
    }
  }

  private handle(frame: ReceivedFrame): void {
    const stream = this.streams.get(frame.streamId);
    if (!frame.control) {
      if (!stream) return;
      if (frame.payload.length > 0) stream.chunks.push(frame.payload);
      if (frame.flags & 1) stream.finished = true;
      stream.notify();
      return;
    }
    if (frame.type === 2 && stream) stream.replied = true;
    if (frame.type === 3 && stream) {
      stream.reset = frame.payload.readUInt32BE(4);
      stream.notify();
    }
  }
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
}

/** Decompresses the server's header blocks in order with one inflate context (as a client must). */
export function createHeaderReader(): (block: Buffer) => Promise<Buffer> {
  const inflate = createInflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  return block =>
    new Promise(resolve => {
      const out: Buffer[] = [];
      const onData = (chunk: Buffer): void => void out.push(chunk);
      inflate.on('data', onData);
      inflate.write(block);
      inflate.flush(constants.Z_SYNC_FLUSH, () =>
        setImmediate(() => {
          inflate.off('data', onData);
          resolve(Buffer.concat(out));
        }),
      );
    });
}
