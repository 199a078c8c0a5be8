import { once } from 'node:events';
import { PassThrough } from 'node:stream';

import { Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import type { PortForwardRunner } from '../../../src/streaming/index.js';
import { connectRawWebSocket } from './support/raw-websocket.js';
import { closeServers, Collect, serveExec, servePortForwardWith, until } from './support/server.js';
import { TestSpdyClient } from './support/spdy-test-client.js';

afterEach(closeServers);

function kubeConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'user' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'user' }],
    currentContext: 'local',
  });
  return kc;
}

describe('exec over WebSocket', () => {
  it('works with client-node Exec (v5): stdin close signal, stdout, stderr, exit code Status', async () => {
    const port = await serveExec({ stdin: true, stdout: true, stderr: true, tty: false }, async io => {
      let input = '';
      for await (const chunk of io.stdin!) input += String(chunk); // ends on the v5 CLOSE signal
      io.stdout!.write(`got ${input}`);
      io.stderr!.write('warn');
      return 42;
    });
    const stdout = new Collect();
    const stderr = new Collect();
    const stdin = new PassThrough();
    let status: V1Status | undefined;
    const ws = await new Exec(kubeConfig(port)).exec(
      'ns',
      'pod',
      'c',
      ['cat'],
      stdout,
      stderr,
      stdin,
      false,
      s => (status = s),
    );
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    stdin.end('ping');
    await until(() => status !== undefined);
    expect(stdout.text).toBe('got ping');
    expect(stderr.text).toBe('warn');
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '42' }] },
    });
  });

  it('speaks base64.channel.k8s.io and reports errors as text on v1 channels', async () => {
    const port = await serveExec({ stdin: false, stdout: true, stderr: false, tty: false }, async io => {
      io.stdout!.write('\u00ff binary');
      throw new Error('gone');
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['base64.channel.k8s.io']);
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    await new Promise(resolve => ws.on('close', resolve));
    expect(ws.protocol).toBe('base64.channel.k8s.io');
    expect(messages[0]).toBe('1'); // the empty "session is up" message on stdout
    expect(Buffer.from(messages[1]!.slice(1), 'base64').toString()).toBe('\u00ff binary');
    expect(messages[2]![0]).toBe('3');
    expect(Buffer.from(messages[2]!.slice(1), 'base64').toString()).toBe(
      'Internal error occurred: error executing command in container: gone',
    );
  });

  it('delivers resize messages on channel 4 for tty sessions', async () => {
    const seen: unknown[] = [];
    const port = await serveExec({ stdin: true, stdout: true, stderr: false, tty: true }, async io => {
      for await (const size of io.resize!) {
        seen.push(size);
        break;
      }
      return 0;
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v4.channel.k8s.io']);
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer) => messages.push(data));
    await new Promise(resolve => ws.on('open', resolve));
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":30}')]));
    await new Promise(resolve => ws.on('close', resolve));
    expect(seen).toEqual([{ width: 100, height: 30 }]);
    const status = messages.find(m => m[0] === 3)!;
    expect(JSON.parse(status.subarray(1).toString())).toEqual({ metadata: {}, status: 'Success' });
  });

  it('rejects unknown subprotocols with 400', async () => {
    const port = await serveExec({ stdin: false, stdout: true, stderr: false, tty: false }, async () => 0);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v99.channel.k8s.io']);
    const status = await new Promise<number | undefined>(resolve =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(400);
  });

  it('aborts the runner when the WebSocket client goes away', async () => {
    let aborted = false;
    const port = await serveExec(
      { stdin: true, stdout: true, stderr: false, tty: false },
      (_io, signal) =>
        new Promise(resolve => signal.addEventListener('abort', () => ((aborted = true), resolve(0)))),
    );
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v4.channel.k8s.io']);
    await new Promise(resolve => ws.on('open', resolve));
    ws.terminate();
    await until(() => aborted);
  });
});

describe('port-forward over WebSocket', () => {
  /** Greets, echoes the first chunk it receives, then half-closes. */
  const echo: PortForwardRunner = async (port, stream) => {
    stream.write(`hello from ${port}:`);
    const [chunk] = (await once(stream, 'data')) as [Buffer];
    stream.end(chunk);
  };

  const servePf = servePortForwardWith;

  it('works with client-node PortForward (port-prefixed channels)', async () => {
    const port = await servePf(echo);
    const output = new Collect();
    const errors = new Collect();
    const input = new PassThrough();
    const ws = (await new PortForward(kubeConfig(port)).portForward(
      'ns',
      'pod',
      [8080],
      output,
      errors,
      input,
    )) as WebSocket;
    input.write('data!');
    await new Promise(resolve => ws.on('close', resolve));
    expect(output.text).toBe('hello from 8080:data!');
    expect(errors.text).toBe('');
  });

  it('reports runner errors on the error channel (v4.base64)', async () => {
    const port = await servePf(() => Promise.reject(new Error('refused')));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/portforward?ports=5000`, ['v4.base64.channel.k8s.io']);
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    await new Promise(resolve => ws.on('close', resolve));
    const decode = (m: string): [string, Buffer] => [m[0]!, Buffer.from(m.slice(1), 'base64')];
    expect(messages.map(decode)).toEqual([
      ['0', Buffer.from([0x88, 0x13])], // port 5000, little endian
      ['1', Buffer.from([0x88, 0x13])],
      ['1', Buffer.from('error forwarding port 5000: refused')],
    ]);
  });

  it('rejects a missing or invalid ports query', async () => {
    const port = await servePf(echo);
    for (const query of ['', '?ports=0', '?ports=http']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/portforward${query}`, ['v4.channel.k8s.io']);
      const status = await new Promise<number | undefined>(resolve =>
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode)),
      );
      expect(status).toBe(400);
    }
  });

  it('tunnels SPDY frames inside WebSocket messages (KEP-4006, SPDY/3.1+portforward.k8s.io)', async () => {
    const port = await servePf(echo);
    const { stream, response } = await connectRawWebSocket(
      port,
      '/portforward',
      'SPDY/3.1+portforward.k8s.io',
    );
    expect(response.headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
    const client = new TestSpdyClient(stream, response, Buffer.alloc(0));
    const error = await client.openStream({ streamType: 'error', port: '3000', requestID: '0' });
    const data = await client.openStream({ streamType: 'data', port: '3000', requestID: '0' });
    data.write('tunnelled');
    await Promise.all([data.closed(), error.closed()]);
    expect(data.text()).toBe('hello from 3000:tunnelled');
    stream.destroy();
  });
});
