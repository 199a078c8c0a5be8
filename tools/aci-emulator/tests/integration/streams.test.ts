import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { eventually, groupSpec, startHarness, type Harness } from './helpers.js';

interface Session {
  ws: WebSocket;
  output(): string;
  /** Text frames only (ACI sends text): true while every received frame was text. */
  allText(): boolean;
  closed: Promise<{ code: number; reason: string }>;
  send(data: string | Buffer): void;
}

/** Connects to an exec/attach WebSocket as ACI's clients do: the password is the first frame. */
async function connect(uri: string, password: string, ca: string): Promise<Session> {
  const ws = new WebSocket(uri, { ca });
  const chunks: string[] = [];
  let text = true;
  ws.on('message', (data, isBinary) => {
    text &&= !isBinary;
    chunks.push((data as Buffer).toString('utf8'));
  });
  const closed = new Promise<{ code: number; reason: string }>(resolve =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(password);
  return { ws, output: () => chunks.join(''), allText: () => text, closed, send: data => ws.send(data) };
}

describe('logs, exec and attach', () => {
  let h: Harness;
  let rg: string;
  const script = (text: string) => ({ command: ['sh', '-c', text] });

  beforeAll(async () => {
    h = await startHarness();
    rg = h.emulator.resourceGroup;
    await h.client.containerGroups.beginCreateOrUpdateAndWait(
      rg,
      'shell',
      groupSpec(h.emulator.location, script('echo one; echo two >&2; echo three; sleep 600')),
      { updateIntervalInMs: 20 },
    );
    await eventually(
      () => h.client.containers.listLogs(rg, 'shell', 'app'),
      logs => (logs.content ?? '').includes('three'),
    );
  });
  afterAll(() => h?.emulator.stop());
  afterEach(() => expect(h.emulator.faithfulnessViolations()).toEqual([]));

  async function exec(command: string, rows = 24, cols = 80) {
    const grant = await h.client.containers.executeCommand(rg, 'shell', 'app', {
      command,
      terminalSize: { rows, cols },
    });
    return { grant, session: await connect(grant.webSocketUri!, grant.password!, h.emulator.caPem) };
  }

  it('returns logs with stdout and stderr interleaved, the tail, and timestamps', async () => {
    expect(await h.client.containers.listLogs(rg, 'shell', 'app')).toEqual({ content: 'one\ntwo\nthree\n' });
    expect(await h.client.containers.listLogs(rg, 'shell', 'app', { tail: 2 })).toEqual({
      content: 'two\nthree\n',
    });
    const stamped = await h.client.containers.listLogs(rg, 'shell', 'app', { tail: 1, timestamps: true });
    expect(stamped.content).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z three\n$/);
    await expect(h.client.containers.listLogs(rg, 'shell', 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ContainerNotFound',
    });
  });

  it('grants an exec with a WebSocket URI carrying the terminal size, and runs the command on a terminal', async () => {
    const { grant, session } = await exec('echo', 40, 132);
    expect(grant.webSocketUri).toMatch(
      /^wss:\/\/127\.0\.0\.1:\d+\/execstream\/sessionId\/[0-9a-f-]{36}\?api-version=1\.0&rows=40&cols=132$/,
    );
    expect(grant.password).toHaveLength(32);
    // The process ends, the server closes normally; no frame says how it ended.
    expect(await session.closed).toEqual({ code: 1000, reason: '' });
    expect(session.output()).toBe('\r\n');
    expect(session.allText()).toBe(true);
  });

  it('takes the whole command string as one executable, as ACI does', async () => {
    const { session } = await exec('echo hello');
    expect(await session.closed).toMatchObject({ code: 1000 });
    expect(session.output()).toBe('sh: echo hello: not found\r\n');
  });

  it('gives a shell on a terminal: echo, prompt, commands, $?, Ctrl-C, exit', async () => {
    const shell = (await exec('/bin/sh')).session;
    const typed = async (line: string, until: string) => {
      const before = shell.output().length;
      shell.send(line);
      return (
        await eventually(
          async () => shell.output().slice(before),
          output => output.endsWith(until),
        )
      ).trim();
    };
    await eventually(
      async () => shell.output(),
      output => output === '# ',
    );
    expect(await typed('hello\r', '# ')).toBe('hello\r\nsh: hello: not found\r\n#');
    expect(await typed('echo hi; false\r', '# ')).toBe('echo hi; false\r\nhi\r\n#');
    // A client can learn a command's status only through the shell: ACI conveys none.
    expect(await typed('echo "rc=$?"\r', '# ')).toBe('echo "rc=$?"\r\nrc=1\r\n#');
    await typed('sleep 30\r', 'sleep 30\r\n');
    expect(await typed('\u0003', '# ')).toBe('^C\r\n#');
    shell.send('exit 3\r');
    expect(await shell.closed).toEqual({ code: 1000, reason: '' });

    const second = (await exec('bash')).session;
    await eventually(
      async () => second.output(),
      output => output === '# ',
    );
    second.send(Buffer.from([0x04]));
    expect(await second.closed).toMatchObject({ code: 1000 });
  });

  it('passes stdin to a process on the terminal; Ctrl-D ends its input, Ctrl-C interrupts it', async () => {
    const h2 = await startHarness({ execCommand: 'split-on-spaces' });
    try {
      const group = h2.emulator.resourceGroup;
      await h2.client.containerGroups.beginCreateOrUpdateAndWait(
        group,
        'cat',
        groupSpec(h2.emulator.location),
        {
          updateIntervalInMs: 20,
        },
      );
      const open = async (command: string) => {
        const grant = await h2.client.containers.executeCommand(group, 'cat', 'app', { command });
        return connect(grant.webSocketUri!, grant.password!, h2.emulator.caPem);
      };
      const cat = await open('cat');
      cat.send(Buffer.from('line\n'));
      await eventually(
        async () => cat.output(),
        output => output === 'line\r\n',
      );
      cat.send(Buffer.from([0x04]));
      expect(await cat.closed).toMatchObject({ code: 1000 });
      const sleeper = await open('sleep 30');
      sleeper.send(Buffer.from([0x03]));
      expect(await sleeper.closed).toMatchObject({ code: 1000 });
    } finally {
      await h2.emulator.stop();
    }
  });

  it('refuses a wrong password and a second use of a grant', async () => {
    const grant = await h.client.containers.executeCommand(rg, 'shell', 'app', { command: 'sh' });
    const wrong = await connect(grant.webSocketUri!, 'not-the-password', h.emulator.caPem);
    expect(await wrong.closed).toEqual({ code: 1008, reason: 'invalid password' });
    await expect(connect(grant.webSocketUri!, grant.password!, h.emulator.caPem)).rejects.toThrow(/404/);
  });

  it('closes the exec session when the container stops', async () => {
    const { session } = await exec('sh');
    await h.client.containerGroups.stop(rg, 'shell');
    expect(await session.closed).toMatchObject({ code: 1001 });
    await h.client.containerGroups.beginStartAndWait(rg, 'shell', { updateIntervalInMs: 20 });
    await eventually(
      () => h.client.containerGroups.get(rg, 'shell'),
      group => group.instanceView?.state === 'Running',
    );
  });

  it('attaches to the output of the container and feeds it stdin', async () => {
    await h.client.containerGroups.beginCreateOrUpdateAndWait(
      rg,
      'attached',
      groupSpec(h.emulator.location, script('echo before; sleep 600')),
      { updateIntervalInMs: 20 },
    );
    await eventually(
      () => h.client.containers.listLogs(rg, 'attached', 'app'),
      logs => logs.content === 'before\n',
    );
    const grant = await h.client.containers.attach(rg, 'attached', 'app');
    expect(grant.webSocketUri).toMatch(/\/attachstream\/sessionId\/[0-9a-f-]{36}\?api-version=1\.0$/);
    const session = await connect(grant.webSocketUri!, grant.password!, h.emulator.caPem);
    // Without a terminal the main process takes the input into its output: it comes back, and only
    // what is written after attaching does (not "before").
    session.send('to the process\n');
    await eventually(
      async () => session.output(),
      output => output === 'to the process\n',
    );
    expect(await h.client.containers.listLogs(rg, 'attached', 'app')).toEqual({
      content: 'before\nto the process\n',
    });
    h.emulator.faults.exitContainer({ resourceGroup: rg, name: 'attached', container: 'app', exitCode: 1 });
    expect(await session.closed).toMatchObject({ code: 1000 });
  });

  it('closes at once when the container is not running', async () => {
    await h.client.containerGroups.beginCreateOrUpdateAndWait(
      rg,
      'finished',
      groupSpec(h.emulator.location, script('true')),
      {
        updateIntervalInMs: 20,
      },
    );
    await eventually(
      () => h.client.containerGroups.get(rg, 'finished'),
      group => group.instanceView?.state === 'Succeeded',
    );
    // Like ACI, the grant is given; the WebSocket then refuses.
    const grant = await h.client.containers.executeCommand(rg, 'finished', 'app', { command: 'sh' });
    const session = await connect(grant.webSocketUri!, grant.password!, h.emulator.caPem);
    expect(await session.closed).toEqual({ code: 1011, reason: 'container app is not running' });
  });
});

describe('exec with split-on-spaces', () => {
  it('splits the command on spaces when asked to', async () => {
    const h = await startHarness({ execCommand: 'split-on-spaces' });
    try {
      const rg = h.emulator.resourceGroup;
      await h.client.containerGroups.beginCreateOrUpdateAndWait(rg, 'split', groupSpec(h.emulator.location), {
        updateIntervalInMs: 20,
      });
      await sleep(10);
      const grant = await h.client.containers.executeCommand(rg, 'split', 'app', {
        command: 'echo hello  world',
      });
      const session = await connect(grant.webSocketUri!, grant.password!, h.emulator.caPem);
      await session.closed;
      expect(session.output()).toBe('hello world\r\n');
    } finally {
      await h.emulator.stop();
    }
  });
});
