import { Duplex, PassThrough, Readable } from 'node:stream';

import {
  portForwardOverSpdy,
  remoteCommandOverSpdy,
  remoteCommandOverWebSocket,
  RemoteCommandError,
} from '@vkubelet/provider-kit/streaming';
import { afterEach, describe, expect, it } from 'vitest';

import type { RemoteCommandRequest, RemoteCommandRunner } from '../../../src/streaming/index.js';
import { closeServers, Collect, serveExec, servePortForwardWith, until } from './support/server.js';

/*
 * The clients providers use to reach a backend's streaming server (provider-kit) against the
 * kubelet API server's own streaming code (core): both ends on the same SPDY session and WebSocket
 * channel framing, so they must agree on every protocol detail.
 */

afterEach(closeServers);

/** The exec URL of a loopback kubelet streaming server running `run`. */
async function execUrl(request: RemoteCommandRequest, run: RemoteCommandRunner): Promise<string> {
  return `http://127.0.0.1:${await serveExec(request, run)}/exec`;
}

const signal = (): AbortSignal => AbortSignal.timeout(20_000);

const clients = [
  ['SPDY', remoteCommandOverSpdy],
  ['WebSocket v5', remoteCommandOverWebSocket],
] as const;

describe.each(clients)('remote command client over %s', (_name, client) => {
  it('copies stdin to the end (half-close), stdout and stderr, and returns the exit code', async () => {
    const url = await execUrl({ stdin: true, stdout: true, stderr: true, tty: false }, async io => {
      let input = '';
      for await (const chunk of io.stdin!) input += String(chunk);
      io.stdout!.write(`got ${input}`);
      io.stderr!.write('warn');
      return 3;
    });
    const stdout = new Collect();
    const stderr = new Collect();
    const code = await client(
      url,
      { stdin: Readable.from(['a', 'b', 'c']), stdout, stderr, tty: false },
      {
        signal: signal(),
      },
    );
    expect(code).toBe(3);
    expect(stdout.text).toBe('got abc');
    expect(stderr.text).toBe('warn');
  });

  it('forwards terminal resizes and reports a failure that is not an exit code', async () => {
    const sizes: string[] = [];
    const url = await execUrl({ stdin: false, stdout: true, stderr: false, tty: true }, async io => {
      for await (const size of io.resize!) {
        sizes.push(`${size.width}x${size.height}`);
        if (sizes.length === 2) break;
      }
      throw new Error('container is gone');
    });
    async function* resizes() {
      yield { width: 80, height: 24 };
      yield { width: 120, height: 40 };
    }
    await expect(
      client(url, { stdout: new Collect(), tty: true, resize: resizes() }, { signal: signal() }),
    ).rejects.toThrow(RemoteCommandError);
    expect(sizes).toEqual(['80x24', '120x40']);
  });

  it('holds the server back while the caller does not read stdout, and loses nothing', async () => {
    const total = 64 * 1024 * 1024;
    let produced = 0;
    const url = await execUrl({ stdin: false, stdout: true, stderr: false, tty: false }, async io => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      while (produced < total) {
        produced += chunk.length;
        if (!io.stdout!.write(chunk)) await new Promise(resolve => io.stdout!.once('drain', resolve));
      }
      return 0;
    });
    const stdout = new PassThrough({ highWaterMark: 64 * 1024 });
    const done = client(url, { stdout, tty: false }, { signal: signal() });
    await until(() => produced > 0);
    await new Promise(resolve => setTimeout(resolve, 300));
    // Bounded by the kernel's socket buffers and a window or two on each side, not by the output.
    expect(produced).toBeLessThan(total / 2);
    let received = 0;
    stdout.on('data', (data: Buffer) => (received += data.length));
    expect(await done).toBe(0);
    await until(() => received === total);
  });

  it('ends the session and rejects when the caller aborts', async () => {
    let runnerSignal: AbortSignal | undefined;
    const url = await execUrl({ stdin: false, stdout: true, stderr: false, tty: false }, async (_io, s) => {
      runnerSignal = s;
      await new Promise(resolve => s.addEventListener('abort', resolve));
      return 0;
    });
    const controller = new AbortController();
    const done = client(url, { stdout: new Collect(), tty: false }, { signal: controller.signal });
    await until(() => runnerSignal !== undefined);
    controller.abort(new Error('caller went away'));
    await expect(done).rejects.toThrow('caller went away');
    await until(() => runnerSignal!.aborted);
  });
});

describe('port-forward client over SPDY', () => {
  it('carries one connection both ways, half-closing each direction', async () => {
    const port = await servePortForwardWith(async (forwarded, stream) => {
      let text = '';
      for await (const chunk of stream) text += String(chunk);
      stream.end(`port ${forwarded} got ${text}`);
    });
    // The caller's side of the forwarded connection: what it writes goes out, what comes back is kept.
    const received = new Collect();
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        received.write(chunk, callback);
      },
    });
    const done = portForwardOverSpdy(`http://127.0.0.1:${port}/portForward`, 8080, stream, {
      signal: signal(),
    });
    stream.push('hello');
    stream.push(null);
    await done;
    expect(received.text).toBe('port 8080 got hello');
  });

  it('rejects with the error the server reports', async () => {
    const port = await servePortForwardWith(async () => {
      throw new Error('connection refused');
    });
    const stream = new PassThrough();
    stream.end();
    await expect(
      portForwardOverSpdy(`http://127.0.0.1:${port}/portForward`, 81, stream, { signal: signal() }),
    ).rejects.toThrow('port-forward to 81: error forwarding port 81: connection refused');
  });
});
