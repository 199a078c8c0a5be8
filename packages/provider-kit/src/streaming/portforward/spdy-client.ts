import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import type { RemoteCommandClientOptions } from '../remotecommand/spdy-client.js';
import { dialSpdy } from '../spdy/upgrade-client.js';
import { abortError, readText } from '../stream-util.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

/**
 * Carries one forwarded connection to `port` through a streaming server over SPDY
 * (`portforward.k8s.io`): a pair of streams, data and error, as the kubelet's client opens them.
 * Both directions are copied with backpressure and half-closed on their own; resolves once both
 * ended, rejects with the server's error text when it reports one.
 */
export async function portForwardOverSpdy(
  url: string,
  port: number,
  stream: Duplex,
  options: Omit<RemoteCommandClientOptions, 'protocols'>,
): Promise<void> {
  const { signal } = options;
  const { connection } = await dialSpdy(url, { ...options, protocols: [PORT_FORWARD_PROTOCOL] });
  const onAbort = (): void => connection.destroy('aborted by the caller');
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const headers = { port: String(port), requestID: '0' };
    const error = connection.openStream({ ...headers, streamType: 'error' });
    // Nothing goes to the server on the error stream.
    error.end();
    const errorText = readText(error).catch(() => '');
    const data = connection.openStream({ ...headers, streamType: 'data' });
    stream.pipe(data);
    data.pipe(stream);
    await new Promise<void>(resolve => {
      let remoteEnded = false;
      let localEnded = false;
      const settle = (): void => {
        if (remoteEnded && localEnded) resolve();
      };
      data.once('end', () => {
        remoteEnded = true;
        settle();
      });
      stream.once('end', () => {
        localEnded = true;
        settle();
      });
      // Either side gone for good ends the forwarded connection.
      data.once('close', () => resolve());
      stream.once('close', () => resolve());
    });
    stream.unpipe(data);
    // The server closes the error stream when it is done with the pair; do not wait long for that.
    const wait = new AbortController();
    const text = (
      await Promise.race([errorText, sleep(1_000, '', { signal: wait.signal }).catch(() => '')])
    ).trim();
    wait.abort();
    if (text) throw new Error(`port-forward to ${port}: ${text}`);
  } catch (err) {
    throw signal.aborted ? abortError(signal) : err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    connection.close();
  }
}
