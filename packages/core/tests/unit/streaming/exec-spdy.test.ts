import { afterEach, describe, expect, it } from 'vitest';

import type { AttachIO, TerminalSize } from '@vkubelet/provider-kit';

import {
  serveRemoteCommand,
  type RemoteCommandRequest,
  type RemoteCommandRunner,
} from '../../../src/streaming/index.js';
import { startUpgradeServer, testOptions, until } from './support/server.js';
import { TestSpdyClient, type TestStream } from './support/spdy-test-client.js';

const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;

let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

async function serve(
  request: RemoteCommandRequest,
  run: RemoteCommandRunner,
  creationTimeoutMs = 2_000,
): Promise<number> {
  const server = await startUpgradeServer((req, socket, head) =>
    serveRemoteCommand(req, socket, head, request, run, testOptions({ creationTimeoutMs })),
  );
  closeServer = server.close;
  return server.port;
}

async function openExec(client: TestSpdyClient, types: string[]): Promise<Record<string, TestStream>> {
  const streams: Record<string, TestStream> = {};
  for (const type of types) streams[type] = await client.openStream({ streamType: type });
  return streams;
}

const echoRunner: RemoteCommandRunner = async (io: AttachIO) => {
  let input = '';
  for await (const chunk of io.stdin!) input += String(chunk);
  io.stdout!.write(`out:${input}`);
  io.stderr!.write('err!');
  return 3;
};

describe('exec over SPDY/3.1', () => {
  it('negotiates the best common version and answers 101 with it', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, async () => 0);
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'channel.k8s.io, v4.channel.k8s.io, v5.channel.k8s.io',
    });
    expect(client.response?.statusCode).toBe(101);
    expect(client.response?.headers['x-stream-protocol-version']).toBe('v5.channel.k8s.io');
    expect(client.response?.headers.upgrade).toBe('SPDY/3.1');
    client.socket.destroy();
  });

  it('refuses with 403 when no protocol matches', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, async () => 0);
    const failure = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v9.channel.k8s.io',
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ statusCode: 403 });
    expect((failure as { body: string }).body).toContain('unable to negotiate protocol');
  });

  it('refuses tty with stderr with 400 before upgrading', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: true, tty: true }, async () => 0);
    const failure = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ statusCode: 400, body: 'cannot exec with tty and stderr\n' });
  });

  it('carries stdin/stdout/stderr and reports a non-zero exit code as v4 Status', async () => {
    const port = await serve({ stdin: true, stdout: true, stderr: true, tty: false }, echoRunner);
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    const s = await openExec(client, ['error', 'stdin', 'stdout', 'stderr']);
    s.stdin!.write('hello');
    s.stdin!.end();
    await Promise.all([s.error!.closed(), s.stdout!.closed(), s.stderr!.closed()]);
    expect(s.stdout!.text()).toBe('out:hello');
    expect(s.stderr!.text()).toBe('err!');
    expect(JSON.parse(s.error!.text())).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    await client.closedSocket();
    expect(client.controlFrames(GOAWAY)).toHaveLength(1);
  });

  it('writes a Success status for exit code 0, and plain text errors for v2 clients', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, async () => 0);
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    const s = await openExec(client, ['error', 'stdout']);
    await s.error!.closed();
    expect(JSON.parse(s.error!.text())).toEqual({ metadata: {}, status: 'Success' });

    const failingPort = await serve(
      { stdin: false, stdout: true, stderr: false, tty: false, kind: 'attach' },
      () => Promise.reject(new Error('boom')),
    );
    const v2 = await TestSpdyClient.connect(failingPort, '/attach', {
      'X-Stream-Protocol-Version': 'channel.k8s.io',
    });
    const s2 = await openExec(v2, ['error', 'stdout']);
    await s2.error!.closed();
    expect(s2.error!.text()).toBe('Internal error occurred: error attaching to container: boom');
  });

  it('speaks v1 to a client that offers no protocol: text errors, error stream reset at the end', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, () =>
      Promise.reject(new Error('nope')),
    );
    const client = await TestSpdyClient.connect(port, '/exec', {});
    expect(client.response?.statusCode).toBe(101);
    expect(client.response?.headers['x-stream-protocol-version']).toBeUndefined();
    const s = await openExec(client, ['error', 'stdout']);
    await client.closedSocket();
    expect(s.error!.text()).toBe('Internal error occurred: error executing command in container: nope');
    expect(client.controlFrames(RST_STREAM).map(f => f.streamId)).toEqual([s.error!.id]);
  });

  it('reports runner failures as InternalError Status on v5', async () => {
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, () =>
      Promise.reject(new Error('no such container')),
    );
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v5.channel.k8s.io',
    });
    const s = await openExec(client, ['error', 'stdout']);
    await s.error!.closed();
    expect(JSON.parse(s.error!.text())).toMatchObject({
      status: 'Failure',
      reason: 'InternalError',
      code: 500,
      details: { causes: [{ message: 'error executing command in container: no such container' }] },
    });
  });

  it('finishes cleanly when the runner never read a flood of stdin', async () => {
    let release: () => void = () => {};
    const port = await serve({ stdin: true, stdout: true, stderr: false, tty: false }, async io => {
      await new Promise<void>(resolve => (release = resolve));
      io.stdout!.write('done');
      return 0;
    });
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    const s = await openExec(client, ['error', 'stdin', 'stdout']);
    for (let i = 0; i < 64; i++) s.stdin!.write(Buffer.alloc(16 * 1024)); // 1 MiB nobody reads
    await new Promise(r => setTimeout(r, 100));
    release();
    await client.closedSocket();
    expect(s.stdout!.text()).toBe('done');
    expect(JSON.parse(s.error!.text())).toEqual({ metadata: {}, status: 'Success' });
  });

  it('delivers terminal resizes for tty sessions (v3+)', async () => {
    const sizes: TerminalSize[] = [];
    const port = await serve({ stdin: true, stdout: true, stderr: false, tty: true }, async io => {
      for await (const size of io.resize!) {
        sizes.push(size);
        if (sizes.length === 2) break;
      }
      return 0;
    });
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    const s = await openExec(client, ['error', 'stdin', 'stdout', 'resize']);
    s.resize!.write('{"Width":80,"Height":24}\n{"Width":1');
    s.resize!.write('20,"Height":40}\n');
    await s.error!.closed();
    expect(sizes).toEqual([
      { width: 80, height: 24 },
      { width: 120, height: 40 },
    ]);
  });

  it('aborts the runner when the client goes away mid-exec', async () => {
    let aborted: unknown;
    const port = await serve({ stdin: true, stdout: true, stderr: false, tty: false }, (_io, signal) => {
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(new Error('killed'));
        }),
      );
    });
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v5.channel.k8s.io',
    });
    await openExec(client, ['error', 'stdin', 'stdout']);
    await new Promise(r => setTimeout(r, 50));
    expect(aborted).toBeUndefined();
    client.socket.destroy();
    await until(() => aborted !== undefined);
    expect(String(aborted)).toMatch(/closed/);
  });

  it('aborts the runner on GOAWAY from the client', async () => {
    let aborted = false;
    const port = await serve({ stdin: false, stdout: true, stderr: false, tty: false }, (_io, signal) => {
      return new Promise(resolve =>
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve(0);
        }),
      );
    });
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    await openExec(client, ['error', 'stdout']);
    client.goAway();
    await until(() => aborted);
  });

  it('closes the session when the client does not open every stream in time', async () => {
    let ran = false;
    const port = await serve(
      { stdin: true, stdout: true, stderr: false, tty: false },
      async () => ((ran = true), 0),
      200,
    );
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    await openExec(client, ['error', 'stdout']);
    await client.closedSocket();
    expect(ran).toBe(false);
    expect(client.controlFrames(GOAWAY)).toHaveLength(1);
  });

  it('echoes client pings and resets invalid or unexpected streams', async () => {
    const port = await serve(
      { stdin: false, stdout: true, stderr: false, tty: false },
      () => new Promise(() => {}),
    );
    const client = await TestSpdyClient.connect(port, '/exec', {
      'X-Stream-Protocol-Version': 'v4.channel.k8s.io',
    });
    client.ping(7);
    await client.openStreamWithId(4, { streamType: 'error' }); // even id: client ids are odd
    const bogus = await client.openStream({ streamType: 'bogus' });
    await until(
      () => client.controlFrames(PING).length === 1 && client.controlFrames(RST_STREAM).length === 2,
    );
    expect(client.controlFrames(PING)[0]!.payload.readUInt32BE(0)).toBe(7);
    const resets = client.controlFrames(RST_STREAM).map(f => [f.streamId, f.payload.readUInt32BE(4)]);
    expect(resets).toEqual([
      [4, 1], // PROTOCOL_ERROR
      [bogus.id, 5], // CANCEL
    ]);
    client.socket.destroy();
  });
});
