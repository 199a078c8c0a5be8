import { request } from 'node:https';
import type { Socket } from 'node:net';
import { connect, type PeerCertificate } from 'node:tls';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to a test server (self-signed, so the certificate is not verified). */
export function get(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; cert?: string; key?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        rejectUnauthorized: false,
        cert: options.cert,
        key: options.key,
        agent: false,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Sends a raw HTTP/1.1 upgrade request over TLS and returns the first bytes of the answer. */
export function rawUpgrade(port: number, path: string, method = 'POST'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const lines = [
        `${method} ${path} HTTP/1.1`,
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: SPDY/3.1',
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
    });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

/** The certificate a TLS server presents. */
export function peerCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket: Socket & { getPeerCertificate(): PeerCertificate } = connect(
      { host: '127.0.0.1', port, rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      },
    );
    socket.on('error', reject);
  });
}
