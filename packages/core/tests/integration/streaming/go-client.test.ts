/**
 * Interoperability with the real Kubernetes client code: a small Go program built from client-go
 * (SPDY executor = what the apiserver uses toward a kubelet, WebSocket v5 executor, SPDY and
 * SPDY-over-WebSocket port-forward). Needs a Go toolchain with the client-go module available.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  serveRemoteCommand,
  servePortForward,
  type PortForwardRunner,
  type RemoteCommandRunner,
} from '../../../src/streaming/index.js';
import { startUpgradeServer, testOptions } from '../../unit/streaming/support/server.js';

const goAvailable = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface GoResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  error?: string;
}

let binary = '';
const servers: (() => Promise<void>)[] = [];

beforeAll(() => {
  if (!goAvailable) return;
  binary = join(mkdtempSync(join(tmpdir(), 'vk-go-client-')), 'go-client');
  const source = join(dirname(fileURLToPath(import.meta.url)), 'go-client');
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: source,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
}, 600_000);

afterAll(async () => {
  await Promise.all(servers.map(close => close()));
  if (binary) rmSync(dirname(binary), { recursive: true, force: true });
});

function runGo(args: string[], stdin: string): Promise<GoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as GoResult);
      } catch {
        reject(new Error(`go-client printed ${JSON.stringify(out)}`));
      }
    });
    child.stdin.end(stdin);
  });
}

async function execServer(run: RemoteCommandRunner, tty: boolean): Promise<string> {
  const server = await startUpgradeServer((req, socket, head) =>
    serveRemoteCommand(
      req,
      socket,
      head,
      { stdin: true, stdout: true, stderr: !tty, tty },
      run,
      testOptions(),
    ),
  );
  servers.push(server.close);
  return `http://127.0.0.1:${server.port}/exec/ns/pod/c?command=sh&input=1&output=1`;
}

const shout: RemoteCommandRunner = async io => {
  let input = '';
  for await (const chunk of io.stdin!) input += String(chunk);
  io.stdout!.write(input.toUpperCase());
  io.stderr?.write('to stderr');
  return input.includes('fail') ? 7 : 0;
};

// Go is always there in CI and from tools/scripts/setup.sh (ensure-go.sh); this skips only for a
// developer running vitest on a machine without Go, where client-go cannot be built.
describe.skipIf(!goAvailable)('client-go against the streaming server', () => {
  for (const transport of ['spdy', 'websocket']) {
    it(`exec over ${transport}: streams and exit codes`, async () => {
      const url = await execServer(shout, false);
      expect(await runGo(['exec', url, transport, 'false'], 'hello')).toEqual({
        stdout: 'HELLO',
        stderr: 'to stderr',
        exitCode: 0,
      });
      expect(await runGo(['exec', url, transport, 'false'], 'fail')).toEqual({
        stdout: 'FAIL',
        stderr: 'to stderr',
        exitCode: 7,
      });
    });
  }

  it('exec over spdy with a tty: resizes reach the runner', async () => {
    const url = await execServer(async io => {
      const sizes: string[] = [];
      for await (const size of io.resize!) {
        sizes.push(`${size.width}x${size.height}`);
        if (sizes.length === 2) break;
      }
      io.stdout!.write(sizes.join(','));
      return 0;
    }, true);
    expect(await runGo(['exec', url, 'spdy', 'true'], '')).toEqual({
      stdout: '80x24,132x43',
      stderr: '',
      exitCode: 0,
    });
  });

  const echoBack: PortForwardRunner = async (port, stream) => {
    let received = '';
    for await (const chunk of stream) received += String(chunk);
    stream.end(`${port}:${received}`);
  };

  for (const transport of ['spdy', 'tunnel']) {
    it(`port-forward over ${transport}`, async () => {
      const server = await startUpgradeServer((req, socket, head) =>
        servePortForward(req, socket, head, echoBack, testOptions()),
      );
      servers.push(server.close);
      const url = `http://127.0.0.1:${server.port}/portForward/ns/pod`;
      const result = await runGo(['portforward', url, transport, '6379'], 'PING');
      expect(result).toMatchObject({ stdout: '6379:PING', exitCode: 0 });
      expect(result.error).toBeUndefined();
    });
  }
});
