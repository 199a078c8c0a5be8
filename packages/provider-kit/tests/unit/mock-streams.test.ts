import { duplexPair, PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

import { isInvalidInput, isNotFound } from '../../src/index.js';
import { MockBackend, MockProvider } from '../../src/mock/index.js';
import { call, collect, makePod, sh, waitForStatus } from './helpers.js';

const backends: MockBackend[] = [];
afterEach(() => backends.splice(0).forEach(b => b.close()));

async function runningMock(options: ConstructorParameters<typeof MockProvider>[0] = {}) {
  const backend = new MockBackend();
  backends.push(backend);
  const provider = new MockProvider({ backend, startupDelayMs: 1, ...options });
  const app = { ...sh('app', 'sleep 60'), env: [{ name: 'A', value: '1' }] };
  const pod = makePod('p', [app, sh('done', 'exit 0')]);
  await provider.createPod(pod, call());
  await waitForStatus(provider, pod, s => Boolean(s.containerStatuses?.[1]?.state?.terminated));
  return { provider, ref: { namespace: 'default', name: 'p', uid: pod.metadata!.uid! } };
}

describe('MockProvider exec', () => {
  it.each([
    [['sh', '-c', 'exit 5'], 5, '', ''],
    [['sh', '-c', 'echo a && echo b || echo never'], 0, 'a\nb\n', ''],
    [['sh', '-c', 'false || echo recovered'], 0, 'recovered\n', ''],
    [['sh', '-c', "echo 'quoted  text' >&2"], 0, '', 'quoted  text\n'],
    [['env'], 0, 'A=1\n', ''],
    [['nonexistent'], 127, '', 'sh: nonexistent: not found\n'],
    [['mock-stream', '100000'], 0, 'x'.repeat(100_000), ''],
  ])('%j exits %i', async (command, code, stdout, stderr) => {
    const { provider, ref } = await runningMock();
    const out = collect();
    const err = collect();
    const exit = await provider.runInContainer(
      ref,
      'app',
      command,
      { stdout: out.stream, stderr: err.stream, tty: false },
      call(),
    );
    expect({ exit, stdout: out.text(), stderr: err.text() }).toEqual({ exit: code, stdout, stderr });
  });

  it('echoes stdin on a tty shell, stderr merged, until stdin ends', async () => {
    const { provider, ref } = await runningMock();
    const out = collect();
    const stdin = Readable.from([Buffer.from('ls\r'), Buffer.from('exit\r')]);
    const code = await provider.runInContainer(
      ref,
      'app',
      ['sh'],
      { stdin, stdout: out.stream, tty: true },
      call(),
    );
    expect(code).toBe(0);
    expect(out.text()).toBe('ls\rexit\r');
  });

  it('streams `yes` with backpressure until the caller aborts', async () => {
    const { provider, ref } = await runningMock();
    const out = new PassThrough({ highWaterMark: 1024 });
    let bytes = 0;
    const abort = new AbortController();
    out.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > 1_000_000) abort.abort();
    });
    await expect(
      provider.runInContainer(ref, 'app', ['yes'], { stdout: out, tty: false }, { signal: abort.signal }),
    ).rejects.toThrow();
    expect(bytes).toBeGreaterThan(1_000_000);
  });

  it('lets a timer abort `yes` into a sink that never pushes back', async () => {
    const { provider, ref } = await runningMock();
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done();
      },
    });
    const session = provider.runInContainer(
      ref,
      'app',
      ['yes'],
      { stdout: sink, tty: false },
      {
        signal: AbortSignal.timeout(50),
      },
    );
    await expect(session).rejects.toThrow();
    expect(bytes).toBeGreaterThan(0);
  });

  it('refuses exec in a container that is not running, and in unknown pods', async () => {
    const { provider, ref } = await runningMock();
    await expect(provider.runInContainer(ref, 'done', ['true'], { tty: false }, call())).rejects.toSatisfy(
      isInvalidInput,
    );
    await expect(provider.runInContainer(ref, 'nope', ['true'], { tty: false }, call())).rejects.toSatisfy(
      isNotFound,
    );
    const stale = { ...ref, uid: 'another-uid' };
    await expect(provider.runInContainer(stale, 'app', ['true'], { tty: false }, call())).rejects.toSatisfy(
      isNotFound,
    );
  });
});

describe('MockProvider attach and port-forward', () => {
  it('attach streams new log lines and echoes stdin into them', async () => {
    const { provider, ref } = await runningMock();
    const out = collect();
    const stdin = new PassThrough();
    const abort = new AbortController();
    const session = provider.attachToContainer(
      ref,
      'app',
      { stdin, stdout: out.stream, tty: false },
      { signal: abort.signal },
    );
    stdin.write('hello\n');
    await expect.poll(() => out.text()).toBe('hello\n');
    abort.abort();
    await session;
  });

  it.each([
    ['echo', 'ping', 'ping'],
    ['http', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'mock pod default/p port 9000\n'],
    ['close', 'ignored', ''],
  ] as const)('port behaviour %s', async (behaviour, send, expected) => {
    const { provider, ref } = await runningMock({ ports: { '9000': behaviour } });
    const [client, server] = duplexPair();
    const forwarding = provider.portForward(ref, 9000, server, call());
    const received: Buffer[] = [];
    client.on('data', (chunk: Buffer) => received.push(chunk));
    client.write(send);
    if (behaviour === 'echo') {
      await expect.poll(() => Buffer.concat(received).toString()).toBe(expected);
      client.end();
    } else {
      await new Promise(resolve => client.once('end', resolve));
      client.end();
      expect(Buffer.concat(received).toString()).toContain(expected);
    }
    await forwarding;
  });
});
