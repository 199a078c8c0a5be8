import type { Duplex } from 'node:stream';

import type { AttachIO } from '@vkubelet/provider-kit';
import WebSocket from 'ws';

/**
 * Clients of the runtime's streaming server (the kubelet streaming library inside containerd) over
 * WebSocket, which it accepts next to SPDY. Remote command uses channel protocol v4: every binary
 * message starts with a channel byte (0 stdin, 1 stdout, 2 stderr, 3 error status, 4 resize).
 * containerd 1.6 predates v5 (no stdin close), so stdin EOF cannot be signalled.
 */
const REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io'];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}

interface Status {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The exit code a remote command's final status carries (0 on Success). */
export function exitCodeOf(statusJson: string): number {
  if (!statusJson.trim()) return 0;
  const status = JSON.parse(statusJson) as Status;
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find(c => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause?.message !== undefined) return Number(cause.message);
  throw new Error(`remote command failed: ${status.message ?? statusJson}`);
}

/** Runs one exec or attach session against a streaming URL; resolves with the exit code. */
export function runRemoteCommand(url: string, io: AttachIO, signal: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(toWebSocketUrl(url), REMOTE_COMMAND_PROTOCOLS);
    let errorText = '';
    let settled = false;
    const finish = (error?: Error, code?: number): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      io.stdin?.off('data', onStdin);
      if (error) reject(error);
      else resolve(code ?? 0);
    };
    const onAbort = (): void => {
      ws.terminate();
      finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const onStdin = (chunk: Buffer | string): void => {
      if (ws.readyState === WebSocket.OPEN)
        ws.send(Buffer.concat([Buffer.from([STDIN]), Buffer.from(chunk)]));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('open', () => {
      io.stdin?.on('data', onStdin);
      void forwardResizes(io, ws);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? data : Buffer.from(data);
      if (message.length === 0) return;
      const payload = message.subarray(1);
      switch (message[0]) {
        case STDOUT:
          if (payload.length) io.stdout?.write(payload);
          break;
        case STDERR:
          if (payload.length) (io.stderr ?? io.stdout)?.write(payload);
          break;
        case ERROR:
          errorText += payload.toString('utf8');
          break;
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      finish(new Error(`streaming server refused the session: HTTP ${res.statusCode}`));
    });
    ws.on('error', error => finish(error));
    ws.on('close', () => {
      try {
        finish(undefined, exitCodeOf(errorText));
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}

async function forwardResizes(io: AttachIO, ws: WebSocket): Promise<void> {
  if (!io.resize) return;
  for await (const size of io.resize) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(
      Buffer.concat([
        Buffer.from([RESIZE]),
        Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })),
      ]),
    );
  }
}

/**
 * Carries one connection to `port` through the streaming server's WebSocket port-forward: channel 0
 * is data, channel 1 errors; the server first sends the port number (2 bytes) on each channel.
 */
export function runPortForward(
  url: string,
  port: number,
  stream: Duplex,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const target = new URL(toWebSocketUrl(url));
    target.searchParams.append('port', String(port));
    const ws = new WebSocket(target, ['v4.channel.k8s.io']);
    const seenPrefix = new Set<number>();
    let errorText = '';
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stream.off('data', onData);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      if (!stream.destroyed) stream.end();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = (): void => finish();
    const onData = (chunk: Buffer): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([0]), chunk]));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('open', () => {
      stream.on('data', onData);
      stream.once('end', () => ws.close());
      stream.once('close', () => ws.close());
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const channel = data[0]!;
      let payload = data.subarray(1);
      if (!seenPrefix.has(channel)) {
        seenPrefix.add(channel);
        payload = payload.subarray(2);
      }
      if (payload.length === 0) return;
      if (channel === 0) stream.write(payload);
      else errorText += payload.toString('utf8');
    });
    ws.on('unexpected-response', (_req, res) =>
      finish(new Error(`streaming server refused port-forward: HTTP ${res.statusCode}`)),
    );
    ws.on('error', error => finish(error));
    ws.on('close', () => finish(errorText ? new Error(`port-forward to ${port}: ${errorText}`) : undefined));
  });
}
