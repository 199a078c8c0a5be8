import type { Duplex } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { servePortForward, type PortForwardRunner } from '../../../src/streaming/index.js';
import { startUpgradeServer, testOptions, until } from './support/server.js';
import { TestSpdyClient } from './support/spdy-test-client.js';

let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

async function serve(run: PortForwardRunner, creationTimeoutMs = 2_000): Promise<number> {
  const server = await startUpgradeServer((req, socket, head) =>
    servePortForward(req, socket, head, run, testOptions({ creationTimeoutMs })),
  );
  closeServer = server.close;
  return server.port;
}

/** A backend that answers each connection with `port:<n>` followed by what it received, upper-cased. */
const upperEcho: PortForwardRunner = async (port: number, stream: Duplex) => {
  let received = '';
  for await (const chunk of stream) received += String(chunk);
  stream.end(`port:${port} ${received.toUpperCase()}`);
};

const connect = (port: number): Promise<TestSpdyClient> =>
  TestSpdyClient.connect(port, '/portForward/ns/pod', { 'X-Stream-Protocol-Version': 'portforward.k8s.io' });

describe('port-forward over SPDY/3.1', () => {
  it('runs one forwarded connection per data/error pair, matching headers case-insensitively', async () => {
    const port = await serve(upperEcho);
    const client = await connect(port);
    expect(client.response?.headers['x-stream-protocol-version']).toBe('portforward.k8s.io');
    const error1 = await client.openStream({ streamType: 'error', port: '8080', requestID: '0' });
    const data1 = await client.openStream({ streamType: 'data', port: '8080', requestID: '0' });
    // A client that canonicalizes names, as some forks do.
    const error2 = await client.openStream({ StreamType: 'error', Port: '9090', RequestId: '1' });
    const data2 = await client.openStream({ StreamType: 'data', Port: '9090', RequestId: '1' });
    data1.write('abc', true);
    data2.write('xyz', true);
    await Promise.all([data1.closed(), data2.closed(), error1.closed(), error2.closed()]);
    expect(data1.text()).toBe('port:8080 ABC');
    expect(data2.text()).toBe('port:9090 XYZ');
    expect(error1.text()).toBe('');
    client.socket.destroy();
  });

  it('derives a missing requestID from the stream ids like upstream', async () => {
    const port = await serve(upperEcho);
    const client = await connect(port);
    const error = await client.openStream({ streamType: 'error', port: '80' });
    const data = await client.openStream({ streamType: 'data', port: '80' });
    data.write('q', true);
    await data.closed();
    expect(data.text()).toBe('port:80 Q');
    await error.closed();
    client.socket.destroy();
  });

  it('writes runner errors and bad ports on the error stream', async () => {
    const port = await serve(() => Promise.reject(new Error('connection refused')));
    const client = await connect(port);
    const error = await client.openStream({ streamType: 'error', port: '5432', requestID: '7' });
    await client.openStream({ streamType: 'data', port: '5432', requestID: '7' });
    await error.closed();
    expect(error.text()).toBe('error forwarding port 5432: connection refused');

    const badError = await client.openStream({ streamType: 'error', port: '70000', requestID: '8' });
    await client.openStream({ streamType: 'data', port: '70000', requestID: '8' });
    await badError.closed();
    expect(badError.text()).toBe('port 70000 must be between 1 and 65535');
    client.socket.destroy();
  });

  it('reports an incomplete pair on its error stream after the creation timeout', async () => {
    let ran = false;
    const port = await serve(async () => void (ran = true), 150);
    const client = await connect(port);
    const error = await client.openStream({ streamType: 'error', port: '80', requestID: '1' });
    await error.closed();
    expect(error.text()).toBe('timed out waiting for streams');
    expect(ran).toBe(false);
    client.socket.destroy();
  });

  it('aborts the runner when the client resets the pair or drops the connection', async () => {
    const aborted: number[] = [];
    const port = await serve(
      (p, _stream, signal) =>
        new Promise<void>(resolve => signal.addEventListener('abort', () => (aborted.push(p), resolve()))),
    );
    const client = await connect(port);
    await client.openStream({ streamType: 'error', port: '1', requestID: 'a' });
    const data = await client.openStream({ streamType: 'data', port: '1', requestID: 'a' });
    await client.openStream({ streamType: 'error', port: '2', requestID: 'b' });
    await client.openStream({ streamType: 'data', port: '2', requestID: 'b' });
    await new Promise(r => setTimeout(r, 50));
    expect(aborted).toEqual([]);
    client.rst(data.id);
    await until(() => aborted.length === 1);
    expect(aborted).toEqual([1]);
    client.socket.destroy();
    await until(() => aborted.length === 2);
    expect(aborted).toEqual([1, 2]);
  });
});
