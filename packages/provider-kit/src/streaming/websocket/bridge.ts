import type WebSocket from 'ws';

import type { AttachIO, TerminalSize } from '../../provider.js';
import { abortError } from '../stream-util.js';

/** What one message of a backend's exec protocol carries. */
export type SessionEvent =
  | { stdout: Buffer }
  | { stderr: Buffer }
  | { exitCode: number }
  /** The backend reports a failure of the session itself (not the command's exit code). */
  | { error: string };

type Message = string | Buffer;

/**
 * How a backend's exec protocol packs a session into WebSocket messages, for `bridgeWebSocket`.
 * Nomad (`{"stdin":{"data":"<base64>"}}` frames, `{"exited":true,"result":{"exit_code":N}}`), ACI
 * (a password first, then raw bytes) and ECI each fit in a few lines.
 */
export interface MessageProtocol {
  /** Messages sent as soon as the socket is open, before any input (a password, a hello). */
  open?: () => Message[];
  /** One chunk of stdin. */
  stdin: (data: Buffer) => Message;
  /** The end of stdin, when the protocol can say it. */
  stdinEnd?: () => Message | undefined;
  /** A terminal resize, when the protocol carries them. */
  resize?: (size: TerminalSize) => Message | undefined;
  /** A keep-alive the backend expects every `intervalMs`. */
  heartbeat?: { intervalMs: number; message: () => Message };
  /** The events one message from the backend carries. */
  receive: (data: Buffer, binary: boolean) => SessionEvent[];
}

function send(ws: WebSocket, message: Message): Promise<void> {
  return new Promise((resolve, reject) =>
    ws.send(message, { binary: typeof message !== 'string' }, error => (error ? reject(error) : resolve())),
  );
}

async function sendResizes(
  ws: WebSocket,
  sizes: AsyncIterable<TerminalSize>,
  encode: (size: TerminalSize) => Message | undefined,
): Promise<void> {
  for await (const size of sizes) {
    const message = encode(size);
    if (message !== undefined) await send(ws, message);
  }
}

/**
 * Bridges an exec or attach session (`AttachIO`) and an open WebSocket speaking a backend's own
 * message protocol, with backpressure both ways: the next stdin chunk is read only once the last one
 * was sent, and a slow stdout or stderr pauses the socket. Resolves when the backend closes the
 * socket, with the exit code it reported (undefined if none); rejects on a reported `error`, a broken
 * socket, or when `signal` aborts (which also closes the socket).
 */
export function bridgeWebSocket(
  ws: WebSocket,
  io: AttachIO,
  protocol: MessageProtocol,
  signal: AbortSignal,
): Promise<number | undefined> {
  return new Promise<number | undefined>((resolve, reject) => {
    let exitCode: number | undefined;
    let failure: Error | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    const blocked = new Set<NodeJS.WritableStream>();
    const finish = (): void => {
      clearInterval(heartbeat);
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(abortError(signal));
      else if (failure) reject(failure);
      else resolve(exitCode);
    };
    const onAbort = (): void => ws.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    const write = (target: NodeJS.WritableStream | undefined, data: Buffer): void => {
      if (!target || data.length === 0 || target.write(data)) return;
      blocked.add(target);
      ws.pause();
      target.once('drain', () => {
        blocked.delete(target);
        if (blocked.size === 0) ws.resume();
      });
    };
    ws.on('message', (data: WebSocket.RawData, binary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let events: SessionEvent[];
      try {
        events = protocol.receive(bytes, binary);
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        ws.close();
        return;
      }
      for (const event of events) {
        if ('stdout' in event) write(io.stdout, event.stdout);
        else if ('stderr' in event) write(io.tty ? io.stdout : (io.stderr ?? io.stdout), event.stderr);
        else if ('exitCode' in event) exitCode = event.exitCode;
        else failure = new Error(event.error);
      }
    });
    ws.once('close', finish);
    ws.once('error', error => {
      failure ??= error;
    });
    // dialWebSocket hands the socket over paused, so nothing the backend sent first is lost.
    if (blocked.size === 0) ws.resume();
    void (async () => {
      for (const message of protocol.open?.() ?? []) await send(ws, message);
      if (protocol.heartbeat) {
        const { intervalMs, message } = protocol.heartbeat;
        heartbeat = setInterval(() => void send(ws, message()).catch(() => undefined), intervalMs);
      }
      const { resize } = protocol;
      if (io.resize && resize) void sendResizes(ws, io.resize, resize).catch(() => undefined);
      if (io.stdin) {
        for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
          await send(ws, protocol.stdin(Buffer.from(chunk)));
        }
        const end = protocol.stdinEnd?.();
        if (end !== undefined) await send(ws, end);
      }
    })().catch(() => undefined);
  });
}
