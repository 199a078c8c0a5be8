import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { startEciEmulator, type EciEmulator } from '../../src/index.js';
import { groupIn, groupRequest, popClient, refusal, type Call } from '../support.js';

interface Session {
  ws: WebSocket;
  /** Everything received per channel, as text. */
  output: Map<number, string>;
  closed: Promise<void>;
}

/** A Kubernetes channel-protocol client: each binary message is [channel byte, data...]. */
async function connect(uri: string, protocols: string[] = []): Promise<Session> {
  const ws = new WebSocket(uri, protocols);
  const output = new Map<number, string>();
  ws.on('message', (data: Buffer) => {
    if (data.length === 0) return;
    const channel = data[0]!;
    output.set(channel, (output.get(channel) ?? '') + data.subarray(1).toString('utf8'));
  });
  const closed = new Promise<void>(resolve => ws.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return { ws, output, closed };
}

function send(ws: WebSocket, channel: number, text: string): void {
  ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text, 'utf8')]));
}

describe('ExecContainerCommand', () => {
  let emulator: EciEmulator;
  let call: Call;
  let id: string;
  beforeAll(async () => {
    emulator = await startEciEmulator({ timing: { schedulingMs: 10, pendingMs: 10 } });
    call = popClient(emulator, 'GET');
    ({ ContainerGroupId: id } = await call<{ ContainerGroupId: string }>(
      'CreateContainerGroup',
      groupRequest(
        'shell',
        [
          {
            Name: 'app',
            Image: 'busybox',
            Command: ['sleep', '3600'],
            EnvironmentVar: [{ Key: 'MODE', Value: 'test' }],
          },
          { Name: 'job', Image: 'busybox', Command: ['sh', '-c', 'exit 0'] },
        ],
        { RestartPolicy: 'OnFailure' },
      ),
    ));
    await groupIn(call, id, 'Running');
  });
  afterAll(() => emulator.stop());

  const exec = (command: string[], params: Record<string, unknown> = {}) =>
    call<{ WebSocketUri: string; HttpUrl: string; SyncResponse: string }>('ExecContainerCommand', {
      ContainerGroupId: id,
      ContainerName: 'app',
      Command: JSON.stringify(command),
      ...params,
    });

  it('Sync: answers stdout and stderr interleaved; a failing command is still HTTP 200 (ECI reports no exit code)', async () => {
    expect(
      (await exec(['sh', '-c', 'echo one; echo two >&2; echo three'], { Sync: true })).SyncResponse,
    ).toBe('one\ntwo\nthree\n');
    expect((await exec(['env'], { Sync: true })).SyncResponse).toContain('MODE=test\n');
    expect((await exec(['no-such-tool'], { Sync: true })).SyncResponse).toBe('sh: no-such-tool: not found\n');
    expect((await refusal(exec(['sh'], { Sync: true, TTY: true }))).code).toBe('InvalidParameter');
  });

  it('refuses a malformed Command, an unknown container and one that does not run', async () => {
    const malformed = await refusal(
      call('ExecContainerCommand', { ContainerGroupId: id, ContainerName: 'app', Command: 'ls -a' }),
    );
    expect(malformed.data.Message).toContain('"Command"');
    const tooMany = await refusal(exec(Array.from({ length: 21 }, () => 'x')));
    expect(tooMany.data.Message).toMatch(/"Command".*At most 20/);
    const unknown = await refusal(exec(['ls'], { ContainerName: 'nope' }));
    expect(unknown.data.Message).toContain('"ContainerName"');
    await groupIn(call, id, 'Running');
    const stopped = await refusal(exec(['ls'], { ContainerName: 'job' }));
    expect({
      status: stopped.entry.response.statusCode,
      code: stopped.code,
      message: stopped.data.Message,
    }).toEqual({
      status: 403,
      code: 'IncorrectStatus',
      message: 'The current status of ContainerName:job does not support this operation.',
    });
  });

  it('WebSocket (v4.channel.k8s.io): stdout, stderr and the exit code on channel 3', async () => {
    const { WebSocketUri } = await exec(['sh', '-c', 'echo out; echo err >&2; exit 3'], { Stdin: false });
    const session = await connect(WebSocketUri, ['v4.channel.k8s.io']);
    await session.closed;
    expect(session.output.get(1)).toBe('out\n');
    expect(session.output.get(2)).toBe('err\n');
    expect(JSON.parse(session.output.get(3)!)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('WebSocket with TTY and stdin: an interactive shell runs what is typed; closing stdin (v5) ends it with success', async () => {
    const { WebSocketUri } = await exec(['/bin/sh'], { TTY: true, Stdin: true });
    const session = await connect(WebSocketUri, ['v5.channel.k8s.io']);
    send(session.ws, 0, 'echo hello\n');
    // A terminal echoes the typed line; the command's output follows on the next line.
    await expect.poll(() => session.output.get(1)).toContain('echo hello\r\nhello\r\n');
    send(session.ws, 4, JSON.stringify({ Width: 120, Height: 40 }));
    send(session.ws, 0, 'echo again\n');
    await expect.poll(() => session.output.get(1)).toContain('echo again\r\nagain\r\n');
    session.ws.send(Buffer.from([255, 0]));
    await session.closed;
    expect(session.output.has(2)).toBe(false);
    expect(JSON.parse(session.output.get(3)!)).toMatchObject({ status: 'Success' });
  });

  it("WebSocket without a subprotocol: the plain channels, as ECI's own clients read them", async () => {
    const { WebSocketUri } = await exec(['echo', 'plain'], { Stdin: false });
    const session = await connect(WebSocketUri);
    await session.closed;
    expect(session.output.get(1)).toBe('plain\n');
  });

  it('each WebSocketUri opens one session, and only for a while', async () => {
    const { WebSocketUri } = await exec(['echo', 'once'], { Stdin: false });
    const first = await connect(WebSocketUri, ['v4.channel.k8s.io']);
    await first.closed;
    await expect(connect(WebSocketUri, ['v4.channel.k8s.io'])).rejects.toThrow('HTTP 403');
    emulator.timing.execSessionMs = 0;
    try {
      const expired = await exec(['echo', 'late'], { Stdin: false });
      await expect(connect(expired.WebSocketUri, ['v4.channel.k8s.io'])).rejects.toThrow('HTTP 403');
      expect((await fetch(expired.HttpUrl)).status).toBe(403);
    } finally {
      emulator.timing.execSessionMs = 30_000;
    }
    await expect(connect(`${new URL(WebSocketUri).origin}/exec/?s=forged`)).rejects.toThrow('HTTP 403');
  });

  it('ends the session when the group is deleted', async () => {
    const { WebSocketUri } = await exec(['cat'], { Stdin: true });
    const session = await connect(WebSocketUri, ['v4.channel.k8s.io']);
    send(session.ws, 0, 'x\n');
    await expect.poll(() => session.output.get(1)).toBe('x\n');
    await call('DeleteContainerGroup', { ContainerGroupId: id });
    await session.closed;
    expect(JSON.parse(session.output.get(3)!)).toMatchObject({
      status: 'Failure',
      message: expect.stringContaining('container app is no longer running'),
    });
  });
});
