import { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { noopLogger } from '../../../src/index.js';
import { describe, expect, it, vi } from 'vitest';

import { FrameSplitter, SpdyCodec } from '../../../src/streaming/spdy/codec.js';
import { SpdyConnection } from '../../../src/streaming/spdy/connection.js';
import { headersFrom, type SpdyFrame } from '../../../src/streaming/spdy/frames.js';
import type { SpdyStream } from '../../../src/streaming/spdy/stream.js';

/** An in-memory socket whose peer can stop reading (`blocked`), like a slow client over TCP. */
class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  private held: (() => void)[] = [];
  blocked = false;

  constructor() {
    super({ writableHighWaterMark: 16 * 1024 });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written.push(chunk);
    if (this.blocked) this.held.push(callback);
    else callback();
  }

  unblock(): void {
    this.blocked = false;
    for (const callback of this.held.splice(0)) callback();
  }

  writtenBytes(): number {
    return this.written.reduce((sum, chunk) => sum + chunk.length, 0);
  }
}

const tick = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

async function setUp(): Promise<{
  socket: FakeSocket;
  client: SpdyCodec;
  stream: SpdyStream;
  connection: SpdyConnection;
}> {
  const socket = new FakeSocket();
  let accepted: SpdyStream | undefined;
  const connection = new SpdyConnection(socket, {
    idleTimeoutMs: 60_000,
    logger: noopLogger,
    onStream: s => (accepted = s),
  });
  const client = new SpdyCodec();
  socket.push(
    await client.encode({
      type: 'syn_stream',
      streamId: 1,
      associatedStreamId: 0,
      priority: 0,
      fin: false,
      unidirectional: false,
      headers: headersFrom({ streamtype: 'stdin' }),
    }),
  );
  while (!accepted) await tick();
  return { socket, client, stream: accepted, connection };
}

async function serverFrames(socket: FakeSocket): Promise<SpdyFrame[]> {
  const reader = new SpdyCodec();
  const frames: SpdyFrame[] = [];
  for (const raw of new FrameSplitter().push(Buffer.concat(socket.written))) {
    const frame = await reader.decode(raw);
    if (frame) frames.push(frame);
  }
  return frames;
}

describe('SPDY flow control', () => {
  it('stops reading the socket while a stream reader is a window behind, and updates the window as it reads', async () => {
    const { socket, client, stream, connection } = await setUp();
    const chunk = Buffer.alloc(16 * 1024, 1);
    for (let i = 0; i < 16; i++)
      socket.push(client.encode({ type: 'data', streamId: 1, fin: false, data: chunk }));
    await tick();
    // 256 KiB arrived but the reader took nothing: the stream holds about one window, the rest waits in the socket.
    expect(socket.isPaused()).toBe(true);
    expect(stream.readableLength).toBeLessThanOrEqual(64 * 1024 + chunk.length);
    let consumed = 0;
    stream.on('data', (data: Buffer) => (consumed += data.length));
    while (consumed < 16 * chunk.length) await tick();
    expect(socket.isPaused()).toBe(false);
    // Updates are queued as the reader consumes and flushed with the next frame batch, which on a
    // loaded machine can come a few turns of the event loop after the last byte was read.
    const deltas = async () => {
      const updates = (await serverFrames(socket)).filter(f => f.type === 'window_update');
      const sum = (id: number) =>
        updates.filter(f => f.streamId === id).reduce((total, f) => total + f.delta, 0);
      return { stream: sum(1), session: sum(0) };
    };
    await vi.waitFor(
      async () => expect((await deltas()).stream).toBeGreaterThanOrEqual(16 * chunk.length - 32 * 1024),
      {
        timeout: 2_000,
        interval: 10,
      },
    );
    const { stream: streamDelta, session: sessionDelta } = await deltas();
    expect(sessionDelta).toBe(streamDelta);
    connection.destroy();
  });

  it('makes a writer wait for a slow client instead of buffering without bound', async () => {
    const { socket, stream, connection } = await setUp();
    socket.blocked = true;
    const total = 8 * 1024 * 1024;
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 2));
      },
    });
    const piping = pipeline(source, stream);
    for (let i = 0; i < 50; i++) await tick();
    // Bounded by the socket's buffer plus one frame and the stream's and source's own buffers.
    expect(socket.writtenBytes()).toBeLessThan(256 * 1024);
    expect(produced).toBeLessThan(512 * 1024);
    socket.unblock();
    await piping;
    const data = (await serverFrames(socket)).filter(f => f.type === 'data');
    expect(data.reduce((sum, f) => sum + (f.type === 'data' ? f.data.length : 0), 0)).toBe(total);
    expect(data.at(-1)).toMatchObject({ fin: true, streamId: 1 });
    connection.destroy();
  });

  it('answers a client reset by closing the stream without an error event', async () => {
    const { socket, client, stream, connection } = await setUp();
    const errors: unknown[] = [];
    stream.on('error', e => errors.push(e));
    socket.push(client.encode({ type: 'rst_stream', streamId: 1, status: 5 }));
    await new Promise(resolve => stream.on('close', resolve));
    expect(stream.resetByPeer).toBe(true);
    expect(errors).toEqual([]);
    // DATA for the reset stream now gets STREAM_ALREADY_CLOSED / INVALID_STREAM, never a crash.
    socket.push(client.encode({ type: 'data', streamId: 1, fin: false, data: Buffer.from('late') }));
    // Frames queue behind the SYN_REPLY, whose header compression runs on the zlib thread pool.
    const resets = async (): Promise<SpdyFrame[]> =>
      (await serverFrames(socket)).filter(f => f.type === 'rst_stream');
    for (let i = 0; i < 200 && (await resets()).length === 0; i++) await new Promise(r => setTimeout(r, 5));
    expect((await serverFrames(socket)).filter(f => f.type === 'rst_stream')).toEqual([
      { type: 'rst_stream', streamId: 1, status: 9 },
    ]);
    connection.destroy();
  });

  it('closes an idle session with GOAWAY and aborts its signal', async () => {
    const socket = new FakeSocket();
    const connection = new SpdyConnection(socket, {
      idleTimeoutMs: 50,
      logger: noopLogger,
      onStream: () => {},
    });
    await new Promise(resolve => connection.signal.addEventListener('abort', resolve));
    await tick();
    expect(await serverFrames(socket)).toEqual([{ type: 'goaway', lastGoodStreamId: 0, status: 0 }]);
    expect(socket.writableEnded).toBe(true);
  });
});
