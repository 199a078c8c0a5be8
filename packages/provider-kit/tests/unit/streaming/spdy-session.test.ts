import { duplexPair } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { headerValue, SpdyConnection, type SpdyStream } from '../../../src/streaming/index.js';

function session(): { client: SpdyConnection; server: SpdyConnection; accepted: SpdyStream[] } {
  const [a, b] = duplexPair();
  const accepted: SpdyStream[] = [];
  const server = new SpdyConnection(a, { onStream: stream => accepted.push(stream) });
  const client = new SpdyConnection(b, { role: 'client' });
  return { client, server, accepted };
}

async function text(stream: SpdyStream): Promise<string> {
  let result = '';
  for await (const chunk of stream) result += String(chunk);
  return result;
}

describe('SpdyConnection, client and server ends', () => {
  it('opens client streams with odd ids and headers, carries data both ways and half-closes', async () => {
    const { client, server, accepted } = session();
    const first = client.openStream({ streamType: 'stdin', port: '80' });
    const second = client.openStream({ streamType: 'stdout' });
    expect([first.id, second.id]).toEqual([1, 3]);
    first.end('hello');
    await expect.poll(() => accepted.length).toBe(2);
    const [inbound] = accepted;
    expect(headerValue(inbound!.headers, 'streamtype')).toBe('stdin');
    expect(headerValue(inbound!.headers, 'port')).toBe('80');
    expect(await text(inbound!)).toBe('hello');
    accepted[1]!.end('world');
    expect(await text(second)).toBe('world');
    client.close();
    await expect.poll(() => server.signal.aborted).toBe(true);
  });

  it('delivers what the peer finished sending even when it closes the session right after', async () => {
    const { client, server, accepted } = session();
    const stream = client.openStream({ streamType: 'error' });
    await expect.poll(() => accepted.length).toBe(1);
    accepted[0]!.end('{"status":"Success"}');
    server.close();
    expect(await text(stream)).toBe('{"status":"Success"}');
    await expect.poll(() => client.signal.aborted).toBe(true);
  });

  it('reads what a server wrote before it reset the stream, as a Go client does (containerd resets after the status)', async () => {
    const { client, accepted } = session();
    const stream = client.openStream({ streamType: 'error' });
    await expect.poll(() => accepted.length).toBe(1);
    accepted[0]!.write('{"status":"Failure"}', () => accepted[0]!.reset());
    expect(await text(stream)).toBe('{"status":"Failure"}');
    expect(stream.resetByPeer).toBe(true);
    client.close();
  });

  it('refuses streams a server opens towards a client that takes none', async () => {
    const { client, server } = session();
    const pushed = server.openStream({ streamType: 'push' });
    expect(pushed.id % 2).toBe(0);
    await new Promise(resolve => pushed.on('close', resolve));
    expect(pushed.resetByPeer).toBe(true);
    client.close();
  });
});
