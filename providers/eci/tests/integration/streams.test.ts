import { PassThrough, Readable } from 'node:stream';

import type { EciEmulator } from '@vkubelet/eci-emulator';
import {
  applyLogOptions,
  END_OF_HISTORY,
  type AttachIO,
  type ContainerLogOptions,
} from '@vkubelet/provider-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EciProvider } from '../../src/provider.js';
import { call, eciProvider, shellPod, startEmulator, waitForPod } from '../support/eci.js';

let emulator: EciEmulator;
let provider: EciProvider;
const ref = (name: string) => ({ namespace: 'default', name });

beforeAll(async () => {
  emulator = await startEmulator({ timing: { schedulingMs: 20, pendingMs: 20, restartBackoffMs: 300 } });
  ({ provider } = await eciProvider(emulator));
});
afterAll(async () => {
  await provider?.close();
  await emulator?.stop();
});

async function logs(name: string, options: Partial<ContainerLogOptions> = {}): Promise<string> {
  const all = { follow: false, previous: false, timestamps: false, ...options };
  const chunks: Buffer[] = [];
  for await (const chunk of applyLogOptions(
    await provider.getContainerLogs(ref(name), 'app', { ...call(), ...all }),
    all,
  ))
    chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function exec(name: string, command: string[], io: Partial<AttachIO> = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await provider.runInContainer(
    ref(name),
    'app',
    command,
    { stdout: stdout.stream, stderr: stderr.stream, tty: false, ...io },
    call(),
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('logs', () => {
  it('reads the history with tail, since and timestamps, and the run before a restart', async () => {
    const subject = shellPod('history', 'echo one; echo two; echo three; sleep 1; exit 1', {
      restartPolicy: 'OnFailure',
    });
    await provider.createPod(subject, call());
    await waitForPod(provider, subject, p => {
      const container = p.status?.containerStatuses?.[0];
      return (container?.restartCount ?? 0) >= 1 && container?.state?.running !== undefined;
    });
    expect(await logs('history', { previous: true })).toBe('one\ntwo\nthree\n');
    expect(await logs('history', { previous: true, tailLines: 1 })).toBe('three\n');
    expect(await logs('history', { previous: true, timestamps: true })).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z one\n/,
    );
    expect(await logs('history', { previous: true, sinceTime: new Date(Date.now() + 60_000) })).toBe('');
    await provider.deletePod(subject, call());
  });

  it('follows by polling: every line once, in order, until the container ends', async () => {
    const script = Array.from({ length: 6 }, (_, i) => `echo line ${i}; echo burst ${i}; sleep 0.3`).join(
      '; ',
    );
    const subject = shellPod('follow', `${script}; echo last`, { restartPolicy: 'Never' });
    await provider.createPod(subject, call());
    await waitForPod(provider, subject, p => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
    const items: string[] = [];
    const stream = await provider.getContainerLogs(ref('follow'), 'app', {
      ...call(),
      follow: true,
      previous: false,
      timestamps: false,
    });
    for await (const item of stream) items.push(item === END_OF_HISTORY ? '--' : item.text);
    const lines = items.filter(line => line !== '--');
    expect(lines).toEqual([
      ...Array.from({ length: 6 }, (_, i) => [`line ${i}`, `burst ${i}`]).flat(),
      'last',
    ]);
    expect(items.filter(line => line === '--')).toHaveLength(1);
    await provider.deletePod(subject, call());
  });
});

describe('exec', () => {
  let calls = 0;
  beforeAll(async () => {
    const subject = shellPod('exec', 'sleep 3600');
    subject.spec!.containers[0]!.env = [{ name: 'GREETING', value: 'hello' }];
    await provider.createPod(subject, call());
    await waitForPod(provider, subject, p => p.status?.phase === 'Running');
    calls = emulator.callCount('ExecContainerCommand');
  });

  it('gives the exit code, stdout and stderr apart, and stdin with its end, over the WebSocket session', async () => {
    expect(await exec('exec', ['sh', '-c', 'echo out; echo err >&2; exit 7'])).toEqual({
      code: 7,
      stdout: 'out\n',
      stderr: 'err\n',
    });
    expect(await exec('exec', ['cat'], { stdin: Readable.from([Buffer.from('in\n')]) })).toEqual({
      code: 0,
      stdout: 'in\n',
      stderr: '',
    });
    expect((await exec('exec', ['env'])).stdout).toContain('GREETING=hello\n');
    expect(emulator.callCount('ExecContainerCommand') - calls).toBe(3);
  });

  it('runs a one-shot command with Sync when no separate stderr is wanted', async () => {
    const before = emulator.callCount('ExecContainerCommand');
    const stdout = sink();
    const code = await provider.runInContainer(
      ref('exec'),
      'app',
      ['sh', '-c', 'echo a; echo b >&2; exit 3'],
      { stdout: stdout.stream, tty: false },
      call(),
    );
    // Sync interleaves stderr with stdout; the sentinel gives the exit code.
    expect({ code, stdout: stdout.text() }).toEqual({ code: 3, stdout: 'a\nb\n' });
    expect(emulator.callCount('ExecContainerCommand') - before).toBe(1);
  });

  it('runs an interactive shell on a tty', async () => {
    const stdin = new PassThrough();
    const stdout = sink();
    const session = provider.runInContainer(
      ref('exec'),
      'app',
      ['sh'],
      { stdin, stdout: stdout.stream, tty: true },
      call(),
    );
    stdin.write('echo from-tty\r');
    stdin.write('exit 4\r');
    expect(await session).toBe(4);
    expect(stdout.text()).toContain('from-tty');
  });

  it('refuses an unknown container and a container that does not run', async () => {
    await expect(exec('exec', ['true'], {})).resolves.toMatchObject({ code: 0 });
    await expect(
      provider.runInContainer(ref('exec'), 'nope', ['true'], { tty: false }, call()),
    ).rejects.toThrow(/container nope is not in pod default\/exec/);
  });
});
