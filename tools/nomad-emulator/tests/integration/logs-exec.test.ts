import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { startNomadEmulator, type Allocation, type NomadEmulator } from '../../src/index.js';
import { api, job, register, waitForAllocs } from './helpers.js';

let emulator: NomadEmulator;
let alloc: Allocation;
beforeEach(async () => {
  emulator = await startNomadEmulator();
  await register(emulator, job('app', 'echo first; echo second; echo oops >&2; sleep 3600'));
  [alloc] = (await waitForAllocs(emulator, 'app', ([a]) => a?.ClientStatus === 'running')) as [Allocation];
});
afterEach(() => emulator.stop());

interface Frame {
  Offset?: number;
  Data?: string;
  File?: string;
}

/** Splits Nomad's stream of JSON objects written back to back. */
function frames(text: string): Frame[] {
  return (text.match(/\{[^{}]*\}/g) ?? []).map(part => JSON.parse(part) as Frame);
}

function decode(list: Frame[]): string {
  return list.map(frame => Buffer.from(frame.Data ?? '', 'base64').toString()).join('');
}

describe('logs (/v1/client/fs/logs)', () => {
  it('streams frames with base64 data, the log file and the end offset', async () => {
    const answer = await api(emulator, 'GET', `/v1/client/fs/logs/${alloc.ID}?task=main&type=stdout`);
    const list = frames(JSON.stringify(answer.body));
    expect(decode(list)).toBe('first\nsecond\n');
    expect(list.at(-1)).toMatchObject({ File: 'alloc/logs/main.stdout.0', Offset: 13 });
    const tail = await api(
      emulator,
      'GET',
      `/v1/client/fs/logs/${alloc.ID}?task=main&type=stdout&origin=end&offset=7`,
    );
    expect(decode(frames(JSON.stringify(tail.body)))).toBe('second\n');
    const skip = await api(
      emulator,
      'GET',
      `/v1/client/fs/logs/${alloc.ID}?task=main&type=stdout&offset=8&plain=true`,
    );
    expect(skip.body).toBe('cond\n');
    const stderr = await api(
      emulator,
      'GET',
      `/v1/client/fs/logs/${alloc.ID}?task=main&type=stderr&plain=true`,
    );
    expect(stderr.body).toBe('oops\n');
  });

  it('follows with heartbeats until the task dies', async () => {
    const response = await fetch(
      `${emulator.address}/v1/client/fs/logs/${alloc.ID}?task=main&type=stdout&follow=true`,
      {
        headers: { 'X-Nomad-Token': emulator.token },
      },
    );
    const reader = response.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5000;
    while (!text.includes('{}') && Date.now() < deadline)
      text += Buffer.from((await reader.read()).value ?? []).toString();
    expect(decode(frames(text))).toBe('first\nsecond\n');
    expect(text).toContain('{}');
    emulator.faults.deregisterJob('app');
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });

  it('refuses bad parameters and unknown tasks', async () => {
    const base = `/v1/client/fs/logs/${alloc.ID}`;
    expect((await api(emulator, 'GET', `${base}?type=stdout`)).status).toBe(400);
    expect((await api(emulator, 'GET', `${base}?task=main&type=stdin`)).status).toBe(400);
    expect(await api(emulator, 'GET', `${base}?task=nope&type=stdout`)).toMatchObject({
      status: 400,
      body: 'unknown task name "nope"',
    });
    expect(
      (
        await api(
          emulator,
          'GET',
          '/v1/client/fs/logs/00000000-0000-0000-0000-000000000000?task=main&type=stdout',
        )
      ).status,
    ).toBe(404);
  });
});

interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode?: number;
  closeCode: number;
  closeReason: string;
}

function exec(
  path: string,
  token: string | undefined,
  input: string[],
  tty = false,
  command = ['sh', '-c', 'cat; echo bye >&2; exit 7'],
) {
  const query = new URLSearchParams({ task: 'main', command: JSON.stringify(command), tty: String(tty) });
  const socket = new WebSocket(`${emulator.address.replace('http', 'ws')}${path}?${query.toString()}`, {
    headers: token ? { 'X-Nomad-Token': token } : {},
  });
  const result: ExecResult = { stdout: '', stderr: '', closeCode: 0, closeReason: '' };
  return new Promise<ExecResult>((resolve, reject) => {
    socket.on('open', () => {
      socket.send(JSON.stringify({ tty_size: { height: 24, width: 80 } }));
      socket.send('{}');
      for (const data of input)
        socket.send(JSON.stringify({ stdin: { data: Buffer.from(data).toString('base64') } }));
      socket.send(JSON.stringify({ stdin: { close: true } }));
    });
    socket.on('message', (raw: Buffer) => {
      const message = JSON.parse(raw.toString()) as Record<string, { data?: string }> & {
        exited?: boolean;
        result?: { exit_code: number };
      };
      if (message.stdout?.data) result.stdout += Buffer.from(message.stdout.data, 'base64').toString();
      if (message.stderr?.data) result.stderr += Buffer.from(message.stderr.data, 'base64').toString();
      if (message.exited) result.exitCode = message.result!.exit_code;
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
    socket.on('close', (code, reason) =>
      resolve({ ...result, closeCode: code, closeReason: reason.toString() }),
    );
  });
}

describe('exec (/v1/client/allocation/<id>/exec WebSocket)', () => {
  it('runs a command with stdin, separate stdout and stderr, and the exit code', async () => {
    const result = await exec(`/v1/client/allocation/${alloc.ID}/exec`, emulator.token, [
      'hello ',
      'world\n',
    ]);
    expect(result).toEqual({
      stdout: 'hello world\n',
      stderr: 'bye\n',
      exitCode: 7,
      closeCode: 1000,
      closeReason: '',
    });
  });

  it('merges stderr into stdout with a tty', async () => {
    const result = await exec(`/v1/client/allocation/${alloc.ID}/exec`, emulator.token, ['x\n'], true);
    expect(result).toMatchObject({ stdout: 'x\nbye\n', stderr: '', exitCode: 7 });
  });

  it('closes with the reason when the token may not exec, and answers 400 for a missing command', async () => {
    const reader = emulator.createToken({ namespaces: { default: 'read' } });
    const refused = await exec(`/v1/client/allocation/${alloc.ID}/exec`, reader, []);
    expect(refused).toMatchObject({ closeCode: 1008, closeReason: 'Permission denied' });
    const response = await api(emulator, 'GET', `/v1/client/allocation/${alloc.ID}/exec?task=main`);
    expect(response.status).toBe(404); // a plain GET is no upgrade: not an exec route
    await expect(
      exec(`/v1/client/allocation/${alloc.ID}/exec`, emulator.token, [], false, []),
    ).rejects.toThrow('HTTP 400');
  });

  it('reports stats for the running task', async () => {
    const stats = await api(emulator, 'GET', `/v1/client/allocation/${alloc.ID}/stats`);
    expect(stats.body.Tasks.main.ResourceUsage.MemoryStats.RSS).toBeGreaterThan(0);
    expect(stats.body.Tasks.main.ResourceUsage.CpuStats.Measured).toContain('Percent');
  });
});
