import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';

import { attachToRun, execInContainer } from '@vkubelet/provider-kit/mock';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

import type { ContainerGroupRecord } from '../model/group.js';
import type { ExecCommandMode } from '../options.js';
import { runTerminalShell, SHELLS } from './terminal-shell.js';
import { WebSocketWritable } from './websocket-writable.js';

/** An exec or attach the API has granted: the WebSocket must connect and send `password` first. */
export interface StreamSession {
  id: string;
  kind: 'exec' | 'attach';
  password: string;
  resourceGroup: string;
  group: string;
  container: string;
  command: string;
  rows: number;
  cols: number;
  expiresAt: number;
}

export interface StreamSettings {
  ttlMs: number;
  execCommand: ExecCommandMode;
  findGroup(resourceGroup: string, name: string): ContainerGroupRecord | undefined;
}

const PATH = /^\/(exec|attach)stream\/sessionId\/([0-9a-f-]{36})$/;
const ETX = 0x03; // Ctrl-C: the terminal sends SIGINT to the process
const EOT = 0x04; // Ctrl-D: the terminal ends the process's input
/** How long a connected socket may take to send its password. */
const PASSWORD_TIMEOUT_MS = 30_000;

/** A password like ACI's: 32 printable characters, punctuation included. */
function password(): string {
  const alphabet =
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?@[]^_{|}~';
  return [...randomBytes(32)].map(byte => alphabet[byte % alphabet.length]).join('');
}

/**
 * The exec and attach WebSockets, served as ACI serves them (see README): the client connects to
 * the `webSocketUri` the API returned, sends the password as its first (text) frame, then stdin as
 * frames; output comes back as text frames; the server closes with 1000 when the process ends. No
 * frame carries an exit code, and the terminal size is fixed by the API request.
 */
export class StreamSessions {
  private readonly sessions = new Map<string, StreamSession>();
  private readonly sockets = new Set<WebSocket>();
  private readonly server = new WebSocketServer({ noServer: true });

  constructor(private readonly settings: StreamSettings) {}

  create(
    kind: StreamSession['kind'],
    fields: Omit<StreamSession, 'id' | 'kind' | 'password' | 'expiresAt'>,
  ): StreamSession {
    const now = Date.now();
    for (const [id, session] of this.sessions) if (session.expiresAt < now) this.sessions.delete(id);
    const session = {
      ...fields,
      id: randomUUID(),
      kind,
      password: password(),
      expiresAt: now + this.settings.ttlMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  uri(endpoint: string, session: StreamSession): string {
    const wss = endpoint.replace(/^https:/, 'wss:');
    const size = session.kind === 'exec' ? `&rows=${session.rows}&cols=${session.cols}` : '';
    return `${wss}/${session.kind}stream/sessionId/${session.id}?api-version=1.0${size}`;
  }

  /** Takes WebSocket upgrades of `server` for session paths; answers 404 to the others. */
  listen(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const match = PATH.exec(new URL(req.url ?? '/', 'https://emulator').pathname);
      const session = match ? this.sessions.get(match[2]!) : undefined;
      if (!session || session.kind !== match?.[1] || session.expiresAt < Date.now()) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.sessions.delete(session.id); // one connection per grant
      this.server.handleUpgrade(req, socket, head, ws => this.serve(session, ws));
    });
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    this.sessions.clear();
    this.server.close();
  }

  private serve(session: StreamSession, ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => undefined);
    const timer = setTimeout(() => ws.close(1008, 'no password'), PASSWORD_TIMEOUT_MS).unref();
    ws.once('message', (data: RawData) => {
      clearTimeout(timer);
      if (rawText(data) !== session.password) {
        ws.close(1008, 'invalid password');
        return;
      }
      this.start(session, ws);
    });
  }

  private start(session: StreamSession, ws: WebSocket): void {
    const record = this.settings.findGroup(session.resourceGroup, session.group);
    const run = record?.container(session.container);
    const runtime = record?.runtime;
    if (!run?.state.running || !runtime) {
      ws.close(1011, `container ${session.container} is not running`);
      return;
    }
    const stdin = new PassThrough();
    const interrupt = new AbortController();
    ws.on('close', () => {
      interrupt.abort();
      stdin.end();
    });
    const signal = AbortSignal.any([interrupt.signal, runtime.signal]);
    // An interrupted or stopped process no longer waits for its input either.
    signal.addEventListener('abort', () => stdin.end(), { once: true });
    const output = new WebSocketWritable(ws, session.kind === 'exec');
    // Output to a socket the client closed: the session is over.
    output.on('error', () => interrupt.abort());
    const argv = this.argv(session.command);
    const shell = session.kind === 'exec' && argv.length === 1 && SHELLS.has(argv[0]!);
    // A shell handles the terminal's keys itself; for other processes the terminal does (feed).
    ws.on('message', (data: RawData) => {
      if (stdin.writableEnded) return;
      if (shell) stdin.write(rawBytes(data));
      else feed(rawBytes(data), stdin, interrupt);
    });
    const work = shell
      ? runTerminalShell(run, stdin, output, signal)
      : session.kind === 'exec'
        ? execInContainer(run, argv, { stdin, stdout: output, tty: true }, signal)
        : attachToRun(run, { stdin, stdout: output, stderr: output, tty: false }, signal);
    // 1001 (going away) when the container stopped under the session, 1000 otherwise.
    const end = () => ws.close(runtime.signal.aborted ? 1001 : 1000);
    work.then(end, end);
  }

  private argv(command: string): string[] {
    if (this.settings.execCommand === 'split-on-spaces') return command.split(/\s+/).filter(Boolean);
    return [command];
  }
}

function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function rawText(data: RawData): string {
  return rawBytes(data).toString('utf8');
}

/** Stdin as a terminal's line discipline passes it: Ctrl-C interrupts, Ctrl-D ends the input. */
function feed(bytes: Buffer, stdin: PassThrough, interrupt: AbortController): void {
  for (let start = 0, i = 0; i <= bytes.length; i++) {
    const byte = bytes[i];
    if (i < bytes.length && byte !== ETX && byte !== EOT) continue;
    if (i > start) stdin.write(bytes.subarray(start, i));
    if (byte === ETX) return interrupt.abort();
    if (byte === EOT) return void stdin.end();
    start = i + 1;
  }
}
