import type { V1Pod } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { duplexPair, PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import type { PodRef } from '../../provider.js';
import { nameOf, namespaceOf, uidOf, type ConformanceSession } from '../session.js';
import type { ConformanceCheck } from './check.js';

function ref(pod: V1Pod): PodRef {
  return { namespace: namespaceOf(pod), name: nameOf(pod), uid: uidOf(pod) };
}

/** Collects what a session writes to one stream. */
function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function exec(
  session: ConformanceSession,
  pod: V1Pod,
  command: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await session.provider.runInContainer!(
    ref(pod),
    'app',
    command,
    {
      stdout: stdout.stream,
      stderr: stderr.stream,
      tty: false,
      ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin)]) } : {}),
    },
    { signal: session.callSignal() },
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function runningPod(
  session: ConformanceSession,
  prefix: string,
  env?: Record<string, string>,
): Promise<V1Pod> {
  const app = session.shell('app', 'sleep 3600');
  if (env) app.env = Object.entries(env).map(([name, value]) => ({ name, value }));
  const pod = await session.create(session.pod(prefix, { containers: [app] }));
  await session.waitForRunning(pod);
  return pod;
}

export const streamChecks: ConformanceCheck[] = [
  {
    id: 'exec.exit-code',
    title: 'exec reports the exit code of the command',
    category: 'exec',
    requires: ['exec'],
    async run(session) {
      const pod = await runningPod(session, 'exec-code');
      assert.equal((await exec(session, pod, ['sh', '-c', 'exit 7'])).code, 7);
      assert.equal((await exec(session, pod, ['sh', '-c', 'exit 0'])).code, 0);
      await session.delete(pod);
    },
  },
  {
    id: 'exec.streams',
    title: 'exec carries stdout, stderr and stdin',
    category: 'exec',
    requires: ['exec'],
    async run(session) {
      const pod = await runningPod(session, 'exec-io');
      const echo = await exec(session, pod, ['echo', 'hello', 'world']);
      assert.equal(echo.stdout, 'hello world\n');
      const err = await exec(session, pod, ['sh', '-c', 'echo oops >&2']);
      assert.equal(err.stderr, 'oops\n');
      assert.equal(err.stdout, '', 'stderr output must not reach stdout');
      const cat = await exec(session, pod, ['cat'], 'from stdin\nsecond line\n');
      assert.equal(cat.stdout, 'from stdin\nsecond line\n');
      assert.equal(cat.code, 0);
      await session.delete(pod);
    },
  },
  {
    id: 'exec.env',
    title: 'resolved env reaches the container (exec env)',
    category: 'exec',
    requires: ['exec'],
    async run(session) {
      const pod = await runningPod(session, 'env', { GREETING: 'hello conformance', EMPTY: '' });
      const { stdout } = await exec(session, pod, ['env']);
      const vars = stdout.split('\n');
      assert.ok(vars.includes('GREETING=hello conformance'), `env lacks GREETING: ${stdout}`);
      assert.ok(vars.includes('EMPTY='), `env lacks EMPTY: ${stdout}`);
      await session.delete(pod);
    },
  },
  {
    id: 'attach.stdio',
    title: 'attach to a `cat` container: stdin comes back on stdout, abort ends the session',
    category: 'attach',
    requires: ['attach'],
    async run(session) {
      const app = { ...session.shell('app', 'cat'), stdin: true };
      const pod = await session.create(session.pod('attach', { containers: [app] }));
      await session.waitForRunning(pod);
      const stdin = new PassThrough();
      const stdout = sink();
      const abort = new AbortController();
      const attached = session.provider.attachToContainer!(
        ref(pod),
        'app',
        { stdin, stdout: stdout.stream, tty: false },
        { signal: abort.signal },
      );
      const deadline = Date.now() + session.timeouts.podExitMs;
      while (!stdout.text().includes('ping from attach')) {
        stdin.write('ping from attach\n');
        if (Date.now() > deadline) break;
        await sleep(100);
      }
      abort.abort();
      stdin.end();
      const ended = await Promise.race([
        attached.then(
          () => true,
          () => true,
        ),
        sleep(5_000, false),
      ]);
      assert.ok(
        stdout.text().includes('ping from attach'),
        `stdin never came back: ${JSON.stringify(stdout.text())}`,
      );
      assert.ok(ended, 'attach did not end within 5 s of its signal aborting');
      await session.delete(pod);
    },
  },
  {
    id: 'port-forward.echo',
    title: 'port-forward carries bytes both ways to a port in the pod',
    category: 'port-forward',
    requires: ['portForward'],
    async run(session) {
      const port = 8080;
      const pod = await session.create(
        session.pod('pf', { containers: [session.workloads.echoServer('app', port)] }),
      );
      await session.waitForRunning(pod);
      const [ours, theirs] = duplexPair();
      const abort = new AbortController();
      const forwarding = session.provider.portForward!(ref(pod), port, theirs, { signal: abort.signal });
      const received: Buffer[] = [];
      ours.on('data', (chunk: Buffer) => received.push(chunk));
      const payload = 'port-forward payload\n';
      const deadline = Date.now() + session.timeouts.podExitMs;
      ours.write(payload);
      while (Buffer.concat(received).toString() !== payload && Date.now() < deadline) await sleep(20);
      assert.equal(Buffer.concat(received).toString(), payload, 'the echo did not come back');
      ours.end();
      abort.abort();
      const ended = await Promise.race([
        forwarding.then(
          () => true,
          () => true,
        ),
        sleep(5_000, false),
      ]);
      assert.ok(ended, 'portForward did not resolve after the connection closed');
      await session.delete(pod);
    },
  },
];
