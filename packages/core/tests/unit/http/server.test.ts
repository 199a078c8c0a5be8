import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { request } from 'node:https';
import { connect } from 'node:net';

import type { V1Pod } from '@kubernetes/client-node';
import {
  END_OF_HISTORY,
  InvalidInputError,
  NotFoundError,
  noopLogger,
  type AttachIO,
  type LogItem,
  type Provider,
  type StatsSummary,
} from '@vkubelet/provider-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { KubeletServerOptions } from '../../../src/http/options.js';
import { KubeletServer } from '../../../src/http/server.js';
import type { StreamingProtocols } from '../../../src/http/streaming-contract.js';
import { get, rawUpgrade } from './helpers.js';

const pod: V1Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
  spec: { containers: [] },
};

function baseProvider(overrides: Partial<Provider> = {}): Provider {
  const fail = () => Promise.reject(new Error('not used'));
  return {
    createPod: fail,
    updatePod: fail,
    deletePod: fail,
    getPod: fail,
    getPodStatus: fail,
    getPods: () => Promise.resolve([pod]),
    ...overrides,
  };
}

const servers: KubeletServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

async function start(provider: Provider, extra: { protocols?: StreamingProtocols } = {}) {
  const server = KubeletServer.create({
    nodeName: 'vk',
    provider,
    listPods: () => [pod],
    listen: { host: '127.0.0.1', port: 0 },
    tls: { selfSigned: true },
    auth: { anonymous: true },
    streaming: { protocols: extra.protocols },
    logger: noopLogger,
  });
  servers.push(server);
  const { port } = await server.start();
  return port;
}

const history: LogItem[] = [1, 2, 3].map(i => ({
  time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
  text: `line ${i}`,
}));

describe('KubeletServer routes', () => {
  it('serves /healthz, /pods and /runningpods/', async () => {
    const port = await start(baseProvider());
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    const pods = await get(port, '/pods');
    expect(pods.status).toBe(200);
    expect(pods.headers['content-type']).toBe('application/json');
    expect(JSON.parse(pods.body)).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [pod] });
    expect(JSON.parse((await get(port, '/runningpods/')).body).items).toEqual([pod]);
  });

  it('answers 404, 405 and 501 as upstream', async () => {
    const port = await start(baseProvider());
    expect(await get(port, '/nope')).toMatchObject({ status: 404, body: '404 request not found\n' });
    expect((await get(port, '/pods', { method: 'POST' })).status).toBe(405);
    expect(await get(port, '/stats/summary')).toMatchObject({ status: 501, body: '501 not implemented\n' });
    expect((await get(port, '/metrics/resource')).status).toBe(501);
    expect((await get(port, '/containerLogs/default/web/c')).status).toBe(501);
  });

  it('maps provider errors: NotFound 404, InvalidInput 400, others 500 with the message', async () => {
    const errors = [
      new NotFoundError('pod default/web not found'),
      new InvalidInputError('bad'),
      new Error('backend down'),
    ];
    const port = await start(
      baseProvider({ getStatsSummary: () => Promise.reject(errors.shift() ?? new Error('no more errors')) }),
    );
    expect(await get(port, '/stats/summary')).toMatchObject({
      status: 404,
      body: 'pod default/web not found\n',
    });
    expect(await get(port, '/stats/summary')).toMatchObject({ status: 400, body: 'bad\n' });
    expect(await get(port, '/stats/summary')).toMatchObject({ status: 500, body: 'backend down\n' });
  });

  it('serves the stats summary and the resource metrics derived from it', async () => {
    const summary: StatsSummary = {
      node: {
        nodeName: 'vk',
        startTime: '2024-01-01T00:00:00Z',
        memory: { time: '2024-01-01T00:00:10Z', workingSetBytes: 42 },
      },
      pods: [],
    };
    const port = await start(baseProvider({ getStatsSummary: () => Promise.resolve(summary) }));
    expect(JSON.parse((await get(port, '/stats/summary/')).body)).toEqual(summary);
    const metrics = await get(port, '/metrics/resource');
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toContain(
      `node_memory_working_set_bytes 42 ${Date.parse('2024-01-01T00:00:10Z')}\n`,
    );
  });
});

describe('KubeletServer container logs', () => {
  it('applies tail, timestamps and limitBytes to the provider lines and passes the pod ref', async () => {
    const getContainerLogs = vi.fn(async () =>
      (async function* () {
        yield* history;
      })(),
    );
    const port = await start(baseProvider({ getContainerLogs }));
    expect((await get(port, '/containerLogs/default/web/main?tailLines=2')).body).toBe('line 2\nline 3\n');
    expect((await get(port, '/containerLogs/default/web/main?tailLines=1&timestamps=true')).body).toBe(
      '2024-01-01T00:00:03Z line 3\n',
    );
    expect((await get(port, '/containerLogs/default/web/main?limitBytes=3')).body).toBe('lin');
    expect(getContainerLogs.mock.calls[0]?.slice(0, 2)).toEqual([
      { namespace: 'default', name: 'web', uid: 'uid-1' },
      'main',
    ]);
  });

  it('answers 400 for names that cannot be Kubernetes names, without calling the provider', async () => {
    const getContainerLogs = vi.fn();
    const port = await start(baseProvider({ getContainerLogs }));
    expect(await get(port, '/containerLogs/a%2Fb/web/main')).toMatchObject({
      status: 400,
      body: 'invalid namespace name "a/b"\n',
    });
    expect((await get(port, '/containerLogs/default/Web/main')).status).toBe(400);
    expect((await get(port, '/containerLogs/default/web/c%2F..')).status).toBe(400);
    expect(getContainerLogs).not.toHaveBeenCalled();
  });

  it('answers 400 for bad options before calling the provider', async () => {
    const getContainerLogs = vi.fn();
    const port = await start(baseProvider({ getContainerLogs }));
    const reply = await get(port, '/containerLogs/default/web/main?tailLines=-1');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(/tailLines/);
    expect(
      (await get(port, '/containerLogs/default/web/main?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z'))
        .status,
    ).toBe(400);
    expect(getContainerLogs).not.toHaveBeenCalled();
  });

  it('streams followed lines as they come and aborts the provider when the client leaves', async () => {
    let release: (() => void) | undefined;
    let providerSignal: AbortSignal | undefined;
    const getContainerLogs: Provider['getContainerLogs'] = async (_pod, _c, options) => {
      providerSignal = options.signal;
      return (async function* () {
        yield* history;
        yield END_OF_HISTORY;
        await new Promise<void>(r => (release = r));
        yield { time: new Date(), text: 'live' };
        // Then wait for the abort, as a following provider does.
        await new Promise(r => options.signal.addEventListener('abort', r));
      })();
    };
    const port = await start(baseProvider({ getContainerLogs }));
    const received: string[] = [];
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/containerLogs/default/web/main?follow=true&tailLines=1',
      rejectUnauthorized: false,
      agent: false,
    });
    const response = await new Promise<IncomingMessage>(resolve => {
      req.on('response', resolve);
      req.end();
    });
    response.on('data', (c: Buffer) => received.push(c.toString()));
    await vi.waitFor(() => expect(received.join('')).toBe('line 3\n'));
    release?.();
    await vi.waitFor(() => expect(received.join('')).toBe('line 3\nlive\n'));
    expect(providerSignal?.aborted).toBe(false);
    req.destroy();
    await vi.waitFor(() => expect(providerSignal?.aborted).toBe(true));
  });
});

describe('KubeletServer streaming upgrades', () => {
  function recordingProtocols() {
    const calls: { kind: string; request?: unknown; run: (...args: never[]) => Promise<unknown> }[] = [];
    const protocols: StreamingProtocols = {
      serveRemoteCommand: (_req, socket, _head, request, run) => {
        calls.push({ kind: 'remote', request, run });
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
      },
      servePortForward: (_req, socket, _head, run) => {
        calls.push({ kind: 'portforward', run });
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
      },
    };
    return { calls, protocols };
  }

  it('hands a validated exec to the protocol layer with a runner bound to the provider', async () => {
    const { calls, protocols } = recordingProtocols();
    const runInContainer = vi.fn(() => Promise.resolve(3));
    const port = await start(baseProvider({ runInContainer }), { protocols });
    const answer = await rawUpgrade(
      port,
      '/exec/default/web/main?command=sh&command=-c&command=exit%203&input=1&output=1&error=1&tty=1',
    );
    expect(answer).toMatch(/^HTTP\/1.1 101/);
    expect(calls[0]?.request).toEqual({
      kind: 'exec',
      pod: { namespace: 'default', name: 'web', uid: 'uid-1' },
      container: 'main',
      command: ['sh', '-c', 'exit 3'],
      stdin: true,
      stdout: true,
      stderr: false, // dropped with a tty, as the kubelet does
      tty: true,
    });
    const io: AttachIO = { tty: true };
    const run = calls[0]?.run as (io: AttachIO, signal: AbortSignal) => Promise<number>;
    expect(await run(io, new AbortController().signal)).toBe(3);
    expect(runInContainer).toHaveBeenCalledWith(
      { namespace: 'default', name: 'web', uid: 'uid-1' },
      'main',
      ['sh', '-c', 'exit 3'],
      io,
      expect.objectContaining({ signal: expect.any(AbortSignal) }),
    );
  });

  it('rejects bad exec requests and missing capabilities before upgrading', async () => {
    const { calls, protocols } = recordingProtocols();
    const port = await start(baseProvider({ runInContainer: () => Promise.resolve(0) }), { protocols });
    expect(await rawUpgrade(port, '/exec/default/web/main?input=1')).toMatch(
      /^HTTP\/1.1 400 .*\r\n[\s\S]*at least one command/,
    );
    expect(await rawUpgrade(port, '/exec/default/web/main?command=ls')).toMatch(
      /^HTTP\/1.1 400 [\s\S]*at least one of stdin/,
    );
    expect(await rawUpgrade(port, '/attach/default/web/main?output=1')).toMatch(/^HTTP\/1.1 501 /);
    expect(await rawUpgrade(port, '/portForward/default/web')).toMatch(/^HTTP\/1.1 501 /);
    expect(await rawUpgrade(port, '/pods', 'GET')).toMatch(
      /^HTTP\/1.1 400 [\s\S]*does not support a protocol upgrade/,
    );
    expect(await rawUpgrade(port, '/pods')).toMatch(/^HTTP\/1.1 405 /);
    expect(await rawUpgrade(port, '/nothing')).toMatch(/^HTTP\/1.1 404 /);
    expect(calls).toHaveLength(0);
  });

  it('binds port-forward connections to the provider with the pod', async () => {
    const { calls, protocols } = recordingProtocols();
    const portForward = vi.fn(() => Promise.resolve());
    const port = await start(baseProvider({ portForward }), { protocols });
    expect(await rawUpgrade(port, '/portForward/default/web')).toMatch(/^HTTP\/1.1 101/);
    const run = calls[0]?.run as (port: number, stream: unknown, signal: AbortSignal) => Promise<void>;
    await run(8080, 'stream', new AbortController().signal);
    expect(portForward).toHaveBeenCalledWith(
      { namespace: 'default', name: 'web', uid: 'uid-1' },
      8080,
      'stream',
      expect.objectContaining({ signal: expect.any(AbortSignal) }),
    );
  });

  it('answers a plain (non-upgrade) exec with 400', async () => {
    const port = await start(baseProvider({ runInContainer: () => Promise.resolve(0) }));
    expect(await get(port, '/exec/default/web/main?command=ls&output=1', { method: 'POST' })).toMatchObject({
      status: 400,
      body: 'Upgrade request required\n',
    });
  });
});

describe('KubeletServer options', () => {
  const valid = {
    nodeName: 'vk',
    provider: baseProvider(),
    listPods: () => [],
    tls: { selfSigned: true as const },
    auth: { anonymous: true },
  };

  it('rejects bad options when created, naming the option', () => {
    expect(() => KubeletServer.create({ ...valid, nodeName: '' })).toThrow(/nodeName/);
    expect(() => KubeletServer.create({ ...valid, listen: { port: 70000 } })).toThrow(/listen\.port/);
    expect(() => KubeletServer.create({ ...valid, listen: { port: 1.5 } })).toThrow(/listen\.port/);
    expect(() => KubeletServer.create({ ...valid, streaming: { idleTimeoutMs: 0 } })).toThrow(
      /idleTimeoutMs/,
    );
    expect(() => KubeletServer.create({ ...valid, streaming: { creationTimeoutMs: Number.NaN } })).toThrow(
      /creationTimeoutMs/,
    );
    expect(() => KubeletServer.create({ ...valid, streaming: { idleTimeoutMs: 1000 } })).not.toThrow();
    expect(() => KubeletServer.create({ ...valid, tlsHandshakeTimeoutMs: -1 })).toThrow(
      /tlsHandshakeTimeoutMs/,
    );
  });
});

describe('KubeletServer and refused ephemeral containers', () => {
  it('answers the logs of an ephemeral container core refused with the reason, not the provider', async () => {
    const refusedPod: V1Pod = {
      ...pod,
      status: {
        ephemeralContainerStatuses: [
          {
            name: 'debugger',
            image: 'busybox',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: {
              terminated: {
                exitCode: 128,
                reason: 'EphemeralContainersNotSupported',
                message: "ephemeral containers (kubectl debug) are not supported by this node's provider",
              },
            },
          },
        ],
      },
    };
    const server = KubeletServer.create({
      nodeName: 'vk',
      provider: baseProvider({
        getContainerLogs: () => Promise.reject(new NotFoundError('no such container')),
      }),
      listPods: () => [refusedPod],
      listen: { host: '127.0.0.1', port: 0 },
      tls: { selfSigned: true },
      auth: { anonymous: true },
      logger: noopLogger,
    });
    servers.push(server);
    const { port } = await server.start();
    expect(await get(port, '/containerLogs/default/web/debugger')).toMatchObject({
      status: 200,
      body: "ephemeral containers (kubectl debug) are not supported by this node's provider\n",
    });
    expect((await get(port, '/containerLogs/default/web/other')).status).toBe(404);
  });
});

describe('KubeletServer connection lifecycle', () => {
  function create(extra: Partial<KubeletServerOptions> = {}) {
    const server = KubeletServer.create({
      nodeName: 'vk',
      provider: baseProvider(),
      listPods: () => [pod],
      listen: { host: '127.0.0.1', port: 0 },
      tls: { selfSigned: true },
      auth: { anonymous: true },
      logger: noopLogger,
      ...extra,
    });
    servers.push(server);
    return server;
  }

  it('closes raw TCP connections that never start TLS after the handshake timeout', async () => {
    const port = await create({ tlsHandshakeTimeoutMs: 300 })
      .start()
      .then(started => started.port);
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const opened = Date.now();
    await once(socket, 'close');
    expect(Date.now() - opened).toBeLessThan(5_000);
  });

  it('binds with listen() and answers 503 until start(); the provider may come later', async () => {
    let provider: Provider | undefined = undefined;
    const server = create({
      provider: () => {
        if (!provider) throw new Error('no provider yet');
        return provider;
      },
    });
    const port = await server.listen();
    expect(port).toBeGreaterThan(0);
    expect(await server.listen()).toBe(port);
    expect((await get(port, '/pods')).status).toBe(503);
    provider = baseProvider();
    expect((await server.start()).port).toBe(port);
    expect((await get(port, '/pods')).status).toBe(200);
  });

  it('names the address when the port is busy, and releases what it had opened', async () => {
    const first = await create().listen();
    const second = create({ listen: { host: '127.0.0.1', port: first } });
    await expect(second.listen()).rejects.toThrow(`kubelet API cannot listen on 127.0.0.1:${first}`);
  });

  it('names the metrics address when that port is busy', async () => {
    const busy = await create().listen();
    const registry = {
      metrics: async () => '',
      contentType: 'text/plain; version=0.0.4; charset=utf-8' as const,
    };
    const server = create({ metrics: { registry, listen: { host: '127.0.0.1', port: busy } } });
    await expect(server.start()).rejects.toThrow(`metrics server cannot listen on 127.0.0.1:${busy}`);
  });
});
