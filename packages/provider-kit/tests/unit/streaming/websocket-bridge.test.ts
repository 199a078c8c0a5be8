import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';

import { bridgeWebSocket, dialWebSocket, type MessageProtocol } from '../../../src/streaming/index.js';

/** Nomad's exec protocol: JSON frames, data in base64. */
const nomadLike: MessageProtocol = {
  stdin: data => JSON.stringify({ stdin: { data: data.toString('base64') } }),
  stdinEnd: () => JSON.stringify({ stdin: { close: true } }),
  resize: size => JSON.stringify({ tty_size: { width: size.width, height: size.height } }),
  receive(data) {
    const frame = JSON.parse(data.toString()) as {
      stdout?: { data: string };
      stderr?: { data: string };
      exited?: boolean;
      result?: { exit_code: number };
    };
    if (frame.stdout) return [{ stdout: Buffer.from(frame.stdout.data, 'base64') }];
    if (frame.stderr) return [{ stderr: Buffer.from(frame.stderr.data, 'base64') }];
    if (frame.exited) return [{ exitCode: frame.result?.exit_code ?? 0 }];
    return [];
  },
};

const out = (ws: WebSocket, stream: 'stdout' | 'stderr', text: string | Buffer): void =>
  ws.send(JSON.stringify({ [stream]: { data: Buffer.from(text).toString('base64') } }));

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise(resolve => server?.close(resolve));
  server = undefined;
});

async function serve(session: (ws: WebSocket) => void): Promise<string> {
  server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', session);
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/exec`;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

describe('bridgeWebSocket', () => {
  it('carries stdin (with its end), stdout, stderr, resizes and the exit code of a backend protocol', async () => {
    const resizes: unknown[] = [];
    const url = await serve(ws => {
      let input = '';
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as {
          stdin?: { data?: string; close?: boolean };
          tty_size?: unknown;
        };
        if (frame.tty_size) resizes.push(frame.tty_size);
        if (frame.stdin?.data) input += Buffer.from(frame.stdin.data, 'base64').toString();
        if (frame.stdin?.close) {
          out(ws, 'stdout', `got ${input}`);
          out(ws, 'stderr', 'warn');
          ws.send(JSON.stringify({ exited: true, result: { exit_code: 7 } }));
          ws.close();
        }
      });
    });
    const signal = AbortSignal.timeout(10_000);
    const ws = await dialWebSocket(url, { signal });
    const stdout = new Collect();
    const stderr = new Collect();
    async function* sizes() {
      yield { width: 100, height: 30 };
    }
    const code = await bridgeWebSocket(
      ws,
      { stdin: Readable.from(['a', 'b']), stdout, stderr, tty: false, resize: sizes() },
      nomadLike,
      signal,
    );
    expect(code).toBe(7);
    expect(stdout.text).toBe('got ab');
    expect(stderr.text).toBe('warn');
    expect(resizes).toEqual([{ width: 100, height: 30 }]);
  });

  it('loses nothing a backend sends and closes before the bridge is attached', async () => {
    const url = await serve(ws => {
      // A fast exec: its output, exit code and close leave with the handshake.
      out(ws, 'stdout', 'hi\n');
      ws.send(JSON.stringify({ exited: true, result: { exit_code: 3 } }));
      ws.close();
    });
    const signal = AbortSignal.timeout(10_000);
    const ws = await dialWebSocket(url, { signal });
    // The caller does other work before it bridges (error mapping, bookkeeping).
    await new Promise(resolve => setTimeout(resolve, 50));
    const stdout = new Collect();
    expect(await bridgeWebSocket(ws, { stdout, tty: false }, nomadLike, signal)).toBe(3);
    expect(stdout.text).toBe('hi\n');
  });

  it('pauses the socket while stdout is full, and loses nothing', async () => {
    const total = 8 * 1024 * 1024;
    let sent = 0;
    const url = await serve(ws => {
      const chunk = Buffer.alloc(256 * 1024, 1);
      const pump = (): void => {
        // The server keeps writing while its socket takes data: only the client can hold it back.
        while (sent < total && ws.bufferedAmount < 1024 * 1024) {
          sent += chunk.length;
          out(ws, 'stdout', chunk);
        }
        if (sent < total) setTimeout(pump, 5);
        else {
          ws.send(JSON.stringify({ exited: true, result: { exit_code: 0 } }));
          ws.close();
        }
      };
      pump();
    });
    const signal = AbortSignal.timeout(20_000);
    const stdout = new PassThrough({ highWaterMark: 64 * 1024 });
    const done = bridgeWebSocket(
      await dialWebSocket(url, { signal }),
      { stdout, tty: false },
      nomadLike,
      signal,
    );
    await new Promise(resolve => setTimeout(resolve, 500));
    expect(sent).toBeLessThan(total);
    let received = 0;
    stdout.on('data', (data: Buffer) => (received += data.length));
    expect(await done).toBe(0);
    expect(received).toBe(total);
  });

  it('rejects and closes the socket when the caller aborts', async () => {
    let closed = false;
    const url = await serve(ws => ws.on('close', () => (closed = true)));
    const controller = new AbortController();
    const done = bridgeWebSocket(
      await dialWebSocket(url, { signal: controller.signal }),
      { stdout: new Collect(), tty: false },
      nomadLike,
      controller.signal,
    );
    controller.abort(new Error('gone'));
    await expect(done).rejects.toThrow('gone');
    await expect.poll(() => closed).toBe(true);
  });

  it('says why a handshake was refused', async () => {
    server = createServer((_req, res) => res.writeHead(403).end('no token'));
    await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/exec`;
    await expect(dialWebSocket(url, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow(
      'websocket handshake refused: HTTP 403 no token',
    );
  });
});
