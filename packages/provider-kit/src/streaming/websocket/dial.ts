import WebSocket, { type ClientOptions } from 'ws';

import { abortError } from '../stream-util.js';

export interface WebSocketDialOptions {
  signal: AbortSignal;
  /** Subprotocols to offer, best first. */
  protocols?: readonly string[];
  /** Extra request headers (authorization, a session token). */
  headers?: Record<string, string>;
  /** ws client options: TLS (ca, rejectUnauthorized), maxPayload, handshakeTimeout, ... */
  clientOptions?: ClientOptions;
}

/**
 * Opens a WebSocket to `url` (`http(s)` is taken as `ws(s)`) and resolves once it is open; rejects
 * with the server's status when it refuses the handshake, or when `signal` aborts first. The socket
 * comes paused: a server that speaks first (an exec whose output and exit arrive with the handshake)
 * would otherwise emit its messages, even its close, before the caller's listeners are attached.
 * `bridgeWebSocket` and `ChannelConnection` resume it once they listen; other callers call
 * `ws.resume()` themselves.
 */
export function dialWebSocket(url: string, options: WebSocketDialOptions): Promise<WebSocket> {
  const target = url.replace(/^http(s?):/, 'ws$1:');
  return new Promise<WebSocket>((resolve, reject) => {
    if (options.signal.aborted) return reject(abortError(options.signal));
    const ws = new WebSocket(target, [...(options.protocols ?? [])], {
      perMessageDeflate: false,
      ...options.clientOptions,
      headers: { ...options.clientOptions?.headers, ...options.headers },
    });
    const onAbort = (): void => {
      ws.terminate();
      reject(abortError(options.signal));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => options.signal.removeEventListener('abort', onAbort);
    ws.once('open', () => {
      done();
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      done();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text.slice(0, 4096)));
      res.on('end', () =>
        reject(new Error(`websocket handshake refused: HTTP ${res.statusCode} ${body.trim()}`.trim())),
      );
      res.on('error', () => reject(new Error(`websocket handshake refused: HTTP ${res.statusCode}`)));
    });
    ws.once('error', error => {
      done();
      reject(error);
    });
  });
}
