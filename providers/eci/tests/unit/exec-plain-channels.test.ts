import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

import { EciClient } from '../../src/client/eci-client.js';
import { EciExec } from '../../src/streams/exec.js';

/**
 * A stand-in for ECI's exec as its public clients see it: ExecContainerCommand answers a
 * WebSocketUri, whose session speaks the plain channels (1 stdout, 2 stderr), chooses no
 * subprotocol and reports no exit status. Its "container" prints `hello` and, for a command wrapped
 * in the sentinel, the sentinel line with status 5.
 */
let server: Server;
let endpoint: string;
const commands: string[][] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      const command = JSON.parse(params.get('Command') ?? '[]') as string[];
      commands.push(command);
      const token = commands.length - 1;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          RequestId: 'R',
          WebSocketUri: `${endpoint.replace('http', 'ws')}/exec/?s=${token}`,
        }),
      );
    });
  });
  const wss = new WebSocketServer({ server, handleProtocols: () => false });
  wss.on('connection', (ws, req) => {
    const command = commands[Number(new URL(req.url ?? '/', 'http://x').searchParams.get('s'))] ?? [];
    const nonce = /echo (\S+) \$\?/.exec(command[2] ?? '')?.[1];
    ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('hello\n')]));
    ws.send(Buffer.concat([Buffer.from([2]), Buffer.from('warn\n')]));
    if (command[0] === 'sh' && nonce) ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`${nonce} 5\n`)]));
    ws.close();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});

async function run(exec: EciExec, options: { sentinel: boolean; tty?: boolean }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await exec.run(
    { containerGroupId: 'eci-1', container: 'app' },
    ['ls', '/'],
    { stdout, stderr, tty: options.tty ?? false },
    { signal: AbortSignal.timeout(5_000), sentinel: options.sentinel },
  );
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

it('falls back to the plain channels once, and takes the exit code from the sentinel', async () => {
  const client = new EciClient({
    endpoint,
    regionId: 'cn-hangzhou',
    credentials: { accessKeyId: 'k', accessKeySecret: 's' },
    timeoutMs: 5_000,
    maxAttempts: 1,
  });
  const exec = new EciExec(client, 'auto');

  // The first session offers v5/v4, is turned down, and runs again on the plain channels.
  expect(await run(exec, { sentinel: true })).toEqual({ code: 5, stdout: 'hello\n', stderr: 'warn\n' });
  expect(commands).toHaveLength(2);
  expect(commands[1]).toEqual([
    'sh',
    '-c',
    expect.stringMatching(/^"\$@"; echo vkubelet-exit-\w+ \$\?$/),
    'sh',
    'ls',
    '/',
  ]);

  // From then on: one request, the plain channels straight away.
  expect(await run(exec, { sentinel: true })).toEqual({ code: 5, stdout: 'hello\n', stderr: 'warn\n' });
  expect(commands).toHaveLength(3);

  // Unwrapped (sentinel off, or a tty session): no way to know the code; 0 is reported.
  expect(await run(exec, { sentinel: false })).toMatchObject({ code: 0, stdout: 'hello\n' });
  expect(commands.at(-1)).toEqual(['ls', '/']);
  expect(await run(exec, { sentinel: true, tty: true })).toMatchObject({ code: 0 });
  expect(commands.at(-1)).toEqual(['ls', '/']);
  client.close();
});
