/**
 * A bare WebSocket client for the one case the ws client cannot do: offering a subprotocol that is
 * not an RFC 6455 token, as Go clients do with "SPDY/3.1+portforward.k8s.io". Binary messages only.
 */
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';

export function connectRawWebSocket(
  port: number,
  path: string,
  protocol: string,
): Promise<{ stream: Duplex; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': protocol,
      },
    });
    req.on('upgrade', (response, socket, head) => {
      let pending: Buffer = head;
      const stream = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          const mask = randomBytes(4);
          const masked = Buffer.from(chunk.map((byte, i) => byte ^ mask[i % 4]!));
          const length = chunk.length;
          const header =
            length < 126
              ? Buffer.from([0x82, 0x80 | length])
              : length < 65536
                ? Buffer.from([0x82, 0x80 | 126, length >> 8, length & 0xff])
                : Buffer.concat([
                    Buffer.from([0x82, 0x80 | 127]),
                    Buffer.from(new BigUint64Array([BigInt(length)]).buffer).reverse(),
                  ]);
          socket.write(Buffer.concat([header, mask, masked]), callback);
        },
      });
      const parse = (): void => {
        for (;;) {
          if (pending.length < 2) return;
          let length = pending[1]! & 0x7f;
          let offset = 2;
          if (length === 126) {
            if (pending.length < 4) return;
            length = pending.readUInt16BE(2);
            offset = 4;
          } else if (length === 127) {
            if (pending.length < 10) return;
            length = Number(pending.readBigUInt64BE(2));
            offset = 10;
          }
          if (pending.length < offset + length) return;
          const opcode = pending[0]! & 0x0f;
          if (opcode === 2) stream.push(pending.subarray(offset, offset + length));
          if (opcode === 8) stream.push(null);
          pending = pending.subarray(offset + length);
        }
      };
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        parse();
      });
      socket.on('close', () => stream.destroy());
      stream.on('close', () => socket.destroy());
      parse();
      resolve({ stream, response });
    });
    req.on('response', res => reject(new Error(`HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}
