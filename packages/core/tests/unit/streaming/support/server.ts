import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable, type Duplex } from 'node:stream';

import { noopLogger } from '@vkubelet/provider-kit';

import {
  servePortForward,
  serveRemoteCommand,
  type PortForwardRunner,
  type RemoteCommandRequest,
  type RemoteCommandRunner,
  type StreamingOptions,
} from '../../../../src/streaming/index.js';

export const testOptions = (overrides: Partial<StreamingOptions> = {}): StreamingOptions => ({
  idleTimeoutMs: 60_000,
  creationTimeoutMs: 2_000,
  logger: noopLogger,
  ...overrides,
});

/** A loopback HTTP server whose 'upgrade' event is served by `onUpgrade`. */
export async function startUpgradeServer(
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    onUpgrade(req, socket, head);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(check, 10);
    };
    check();
  });
}

const started: Array<() => Promise<void>> = [];

/** Closes every server `serveExec` and `servePortForwardWith` started (call it from afterEach). */
export async function closeServers(): Promise<void> {
  await Promise.all(started.splice(0).map(close => close()));
}

/** A loopback server serving exec with `run`, closed by `closeServers()`; resolves with its port. */
export async function serveExec(request: RemoteCommandRequest, run: RemoteCommandRunner): Promise<number> {
  const server = await startUpgradeServer((req, socket, head) =>
    serveRemoteCommand(req, socket, head, request, run, testOptions()),
  );
  started.push(server.close);
  return server.port;
}

/** A loopback server serving port-forward with `run`, closed by `closeServers()`; resolves with its port. */
export async function servePortForwardWith(run: PortForwardRunner): Promise<number> {
  const server = await startUpgradeServer((req, socket, head) =>
    servePortForward(req, socket, head, run, testOptions()),
  );
  started.push(server.close);
  return server.port;
}

/** A writable that keeps what was written, as text. */
export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
