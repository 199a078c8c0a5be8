import { Writable } from 'node:stream';

import type { WebSocket } from 'ws';

/**
 * Output of an exec or attach session as WebSocket text frames, as ACI sends them. With `crlf` a
 * newline goes out as CR LF, as a terminal's output processing (ONLCR) turns it: ACI's exec always
 * runs on a terminal.
 */
export class WebSocketWritable extends Writable {
  constructor(
    private readonly socket: WebSocket,
    private readonly crlf: boolean,
  ) {
    super({ decodeStrings: false });
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    if (this.socket.readyState !== this.socket.OPEN) return done(new Error('the WebSocket is closed'));
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.crlf) text = text.replace(/\r?\n/g, '\r\n');
    this.socket.send(text, error => done(error ?? null));
  }
}
