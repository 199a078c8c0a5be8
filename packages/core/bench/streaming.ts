/**
 * Throughput and memory of the streaming server over loopback, against a plain TCP copy.
 *
 *   node packages/core/bench/streaming.ts [sizeMiB]   (node 24 from node_modules/.bin; children run the
 *   TypeScript sources with --experimental-transform-types)
 *
 * Each scenario runs in its own process so peak RSS is its own: `tcp` (net socket copy), `exec`
 * (runner writes stdout through SPDY exec v4), `portforward` (runner writes into a SPDY port-forward
 * stream). The client counts DATA bytes without keeping them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { registerHooks } from 'node:module';
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net';
import type { Duplex, Writable } from 'node:stream';

import type { Logger } from '@vkubelet/provider-kit';
import { fileURLToPath } from 'node:url';

// Sources import './x.js' for files that are './x.ts': map them so node runs the sources directly.
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return nextResolve(candidate.href, context);
    }
    return nextResolve(specifier, context);
  },
});

const CHUNK = 64 * 1024;

const silent: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silent,
};
const sizeMiB = Number(process.argv[3] ?? process.argv[2] ?? 256);
const totalBytes = sizeMiB * 1024 * 1024;

/** Writes `total` bytes into `out`, honouring backpressure. */
async function produce(out: Writable, total: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 7);
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!out.write(chunk)) await new Promise(resolve => out.once('drain', resolve));
  }
}

async function tcp(): Promise<void> {
  const server = createNetServer(socket => void produce(socket, totalBytes).then(() => socket.end()));
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let received = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  await new Promise(resolve => socket.on('end', resolve));
  server.close();
  if (received !== totalBytes) throw new Error(`received ${received}`);
}

/** Loaded before the clock starts: module loading is not throughput. */
async function loadSources() {
  return {
    ...(await import('../src/streaming/index.js')),
    ...(await import('@vkubelet/provider-kit/streaming')),
  };
}
let sources: Awaited<ReturnType<typeof loadSources>> | undefined;

async function spdy(kind: 'exec' | 'portforward'): Promise<void> {
  const { serveRemoteCommand, servePortForward, SpdyCodec, FrameSplitter, headersFrom } = sources!;
  const options = { idleTimeoutMs: 60_000, creationTimeoutMs: 10_000, logger: silent };
  const server = createHttpServer();
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    if (kind === 'exec') {
      serveRemoteCommand(
        req,
        socket,
        head,
        { stdin: false, stdout: true, stderr: false, tty: false },
        async io => (await produce(io.stdout!, totalBytes), 0),
        options,
      );
    } else {
      servePortForward(
        req,
        socket,
        head,
        async (_port, stream) => (await produce(stream, totalBytes), void stream.end()),
        options,
      );
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const socket = await new Promise<Duplex>(resolve => {
    const req = request({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      method: 'POST',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': kind === 'exec' ? 'v4.channel.k8s.io' : 'portforward.k8s.io',
      },
    });
    req.on('upgrade', (_res, upgraded) => resolve(upgraded));
    req.end();
  });
  const codec = new SpdyCodec();
  const streams =
    kind === 'exec'
      ? [{ streamtype: 'error' }, { streamtype: 'stdout' }]
      : [
          { streamtype: 'error', port: '80', requestid: '0' },
          { streamtype: 'data', port: '80', requestid: '0' },
        ];
  for (const [index, headers] of streams.entries()) {
    socket.write(
      await codec.encode({
        type: 'syn_stream',
        streamId: 1 + index * 2,
        associatedStreamId: 0,
        priority: 0,
        fin: kind === 'portforward' && index === 1,
        unidirectional: false,
        headers: headersFrom(headers),
      }),
    );
  }
  const splitter = new FrameSplitter();
  let received = 0;
  await new Promise<void>(resolve => {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        if (!frame.control && frame.typeOrStreamId === 3) {
          received += frame.payload.length;
          if (frame.flags & 1) resolve();
        }
      }
    });
  });
  socket.destroy();
  server.close();
  if (received !== totalBytes) throw new Error(`received ${received}`);
}

const scenarios = { tcp, exec: () => spdy('exec'), portforward: () => spdy('portforward') };
type Scenario = keyof typeof scenarios;

const scenario = process.argv[2] as Scenario | undefined;
if (scenario && scenario in scenarios) {
  if (scenario !== 'tcp') sources = await loadSources();
  const start = process.hrtime.bigint();
  await scenarios[scenario]();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    JSON.stringify({
      scenario,
      mib: sizeMiB,
      mibPerSecond: Math.round(sizeMiB / seconds),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
} else {
  console.log(`loopback, ${sizeMiB} MiB per scenario, one process each (client and server share it)`);
  for (const name of Object.keys(scenarios)) {
    const child = spawnSync(
      process.execPath,
      [
        '--experimental-transform-types',
        '--no-warnings',
        fileURLToPath(import.meta.url),
        name,
        String(sizeMiB),
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`${name} failed: ${child.stderr}`);
    const { mibPerSecond, peakRssMiB } = JSON.parse(child.stdout) as {
      mibPerSecond: number;
      peakRssMiB: number;
    };
    console.log(`${name.padEnd(12)} ${String(mibPerSecond).padStart(6)} MiB/s   peak RSS ${peakRssMiB} MiB`);
  }
}
