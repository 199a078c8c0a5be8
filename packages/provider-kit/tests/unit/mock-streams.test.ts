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

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/** `sh` exec'd with a terminal, as `kubectl exec -it <pod> -- sh` does. */
async function terminalShell() {
  const { provider, ref } = await runningMock();
  const out = collect();
  const stdin = new PassThrough();
  const session = provider.runInContainer(
    ref,
    'app',
    ['sh'],
    { stdin, stdout: out.stream, tty: true },
    call(),
  );
  return { out, stdin, session };
}

describe('MockProvider exec', () => {
  it.each([
    [['sh', '-c', 'exit 5'], 5, '', ''],
    [['sh', '-c', 'echo a && echo b || echo never'], 0, 'a\nb\n', ''],
    [['sh', '-c', 'false || echo recovered'], 0, 'recovered\n', ''],
    [['sh', '-c', "echo 'quoted  text' >&2"], 0, '', 'quoted  text\n'],
    [['env'], 0, 'A=1\n', ''],
    // `$?` is the last status and `$A` / `${A}` the environment: a sentinel such as exec wrappers print.
    [['sh', '-c', 'false; echo "status $?"; echo $A${A}$UNSET.'], 0, 'status 1\n11.\n', ''],
    // A child shell's `exit` ends it only; `"$@"` and `$N` are the arguments after `sh -c SCRIPT NAME`.
    [['sh', '-c', 'sh -c "exit 4"; echo after $?'], 0, 'after 4\n', ''],
    [
      ['sh', '-c', '"$@"; echo N $?', 'sh', 'sh', '-c', 'echo "$0:$1" >&2; exit 7', 'x', 'y'],
      0,
      'N 7\n',
      'x:y\n',
    ],
    [['sh', '-c', '"$@"', 'sh', 'echo', 'a  b', 'c'], 0, 'a  b c\n', ''],
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

  it('runs an interactive shell on a tty line by line: echo, prompt, stderr merged, ends on `exit`', async () => {
    const { out, stdin, session } = await terminalShell();
    const prompts = () => out.text().split('# ').length - 1;
    for (const [index, line] of ['echo hi there', 'nope'].entries()) {
      stdin.write(`${line}\r`);
      await waitFor(() => prompts() === index + 2);
    }
    stdin.write('exit 3\r');
    expect(await session).toBe(3);
    expect(out.text()).toBe('# echo hi there\r\nhi there\r\n# nope\r\nsh: nope: not found\r\n# exit 3\r\n');
  });

  it('ends an interactive shell on Ctrl-D with the last status; backspace erases', async () => {
    const { out, stdin, session } = await terminalShell();
    stdin.write('falsx\x7fe\r');
    await waitFor(() => out.text().endsWith('\r\n# '));
    stdin.write('\x04');
    expect(await session).toBe(1);
    expect(out.text()).toBe('# falsx\b \be\r\n# exit\r\n');
  });

  it('Ctrl-C interrupts the running command, not the session', async () => {
    const { out, stdin, session } = await terminalShell();
    stdin.write('sleep 3600\r');
    await waitFor(() => out.text().includes('sleep 3600\r\n'));
    stdin.write('\x03');
    await waitFor(() => out.text().endsWith('^C\r\n# '));
    stdin.write('half-typed\x03');
    await waitFor(() => out.text().endsWith('half-typed^C\r\n# '));
    stdin.write('exit\r');
    expect(await session).toBe(130);
  });

  it('without a tty, runs stdin line by line with no echo or prompt and ends at its end', async () => {
    const { provider, ref } = await runningMock();
    const out = collect();
    const stdin = Readable.from(['echo one\nfalse\n', 'echo two']);
    const code = await provider.runInContainer(
      ref,
      'app',
      ['sh'],
      { stdin, stdout: out.stream, tty: false },
      call(),
    );
    expect(code).toBe(0);
    expect(out.text()).toBe('one\ntwo\n');
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
