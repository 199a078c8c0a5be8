import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

import { context, trace } from '@opentelemetry/api';
import { errorMessage, recordSpanError, type Provider } from '@vkubelet/provider-kit';

import { HttpError } from './errors.js';
import { notImplemented, objectName, podRefOf, type HandlerContext } from './handlers.js';
import { isStreamFlagSet } from './query.js';
import type { RouteMatch } from './routes.js';
import type {
  PortForwardRun,
  RemoteCommandRequest,
  RemoteCommandRun,
  StreamingOptions,
  StreamingProtocols,
} from './streaming-contract.js';

// Not an ESM import: the namespace of node:http reads every export, and its lazy WebSocket ones make
// Node load its bundled undici (about 14 MB of RSS on Node 24) in a process that never uses it.
const { STATUS_CODES } = process.getBuiltinModule('node:http');

/** Answers an upgrade request that will not be upgraded, on the raw socket, and closes it. */
export function rejectUpgrade(socket: Duplex, statusCode: number, message: string): void {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      'X-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * Exec/attach query options as the kubelet reads them: `command` repeated, `input`/`output`/
 * `error`/`tty` set by "1" (apiserver) or "true". With a tty, stderr is dropped (a terminal has one
 * output stream), as the kubelet does; asking for no stream at all, or exec without a command, is a
 * 400.
 */
export function parseRemoteCommandRequest(
  kind: 'exec' | 'attach',
  route: RouteMatch,
  query: URLSearchParams,
  ctx: Pick<HandlerContext, 'listPods'>,
): RemoteCommandRequest {
  const tty = isStreamFlagSet(query, 'tty');
  const request: RemoteCommandRequest = {
    kind,
    pod: podRefOf(route.params, ctx.listPods),
    container: objectName(route.params, 'container'),
    command: kind === 'exec' ? query.getAll('command') : [],
    stdin: isStreamFlagSet(query, 'input'),
    stdout: isStreamFlagSet(query, 'output'),
    stderr: isStreamFlagSet(query, 'error') && !tty,
    tty,
  };
  if (kind === 'exec' && request.command.length === 0) {
    throw new HttpError(400, 'you must specify at least one command for the container');
  }
  if (!request.stdin && !request.stdout && !request.stderr) {
    throw new HttpError(400, 'you must specify at least one of stdin, stdout, stderr');
  }
  return request;
}

export interface UpgradeContext extends HandlerContext {
  protocols: StreamingProtocols;
  streaming: StreamingOptions;
}

/** Hands a routed, authorized upgrade to the protocol layer, with the provider call it should run. */
export async function handleUpgrade(
  ctx: UpgradeContext,
  route: RouteMatch,
  query: URLSearchParams,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const provider: Provider = ctx.provider;
  switch (route.name) {
    case 'exec':
    case 'attach': {
      const request = parseRemoteCommandRequest(route.name, route, query, ctx);
      const providerRun = remoteCommandRun(provider, request, ctx.serverSignal);
      if (!providerRun) throw notImplemented();
      const run = tracedRun(providerRun);
      const protocols = ctx.protocols;
      await handOver(ctx, socket, () =>
        protocols.serveRemoteCommand(req, socket, head, request, run, ctx.streaming),
      );
      return;
    }
    case 'portForward': {
      const pod = podRefOf(route.params, ctx.listPods);
      const portForward = provider.portForward?.bind(provider);
      if (!portForward) throw notImplemented();
      // Streams open later, on the connection's events: the provider's calls still belong to the request's span.
      const run: PortForwardRun = context.bind(context.active(), (port, stream, signal) =>
        portForward(pod, port, stream, { signal: AbortSignal.any([signal, ctx.serverSignal]) }),
      );
      const protocols = ctx.protocols;
      await handOver(ctx, socket, () => protocols.servePortForward(req, socket, head, run, ctx.streaming));
      return;
    }
    default:
      throw new HttpError(400, `${req.url ?? ''} does not support a protocol upgrade`);
  }
}

/**
 * Runs the protocol layer, which owns the socket from here on: a failure can no longer be answered
 * with an HTTP status (the connection may already speak SPDY), so it is logged and the socket ended.
 */
async function handOver(
  ctx: UpgradeContext,
  socket: Duplex,
  serve: () => void | Promise<void>,
): Promise<void> {
  try {
    await serve();
  } catch (err) {
    ctx.streaming.logger.error('streaming session failed', {
      err: errorMessage(err),
    });
    socket.destroy();
  }
}

/**
 * The session's provider call, run in the request's span (it starts later, on the connection's
 * events), which it gives its outcome: the exit code, or the error.
 */
function tracedRun(run: RemoteCommandRun): RemoteCommandRun {
  const span = trace.getActiveSpan();
  if (!span) return run;
  return context.bind(context.active(), async (io, signal) => {
    try {
      const exitCode = await run(io, signal);
      if (exitCode !== undefined) span.setAttribute('process.exit.code', exitCode);
      return exitCode;
    } catch (err) {
      recordSpanError(span, err);
      throw err;
    }
  });
}

/** The provider call behind an exec or attach session, or undefined if the provider lacks it. */
function remoteCommandRun(
  provider: Provider,
  request: RemoteCommandRequest,
  serverSignal: AbortSignal,
): RemoteCommandRun | undefined {
  const { pod, container, command } = request;
  // Sessions also end when the server shuts down.
  const signalOf = (signal: AbortSignal): AbortSignal => AbortSignal.any([signal, serverSignal]);
  if (request.kind === 'exec') {
    const runInContainer = provider.runInContainer?.bind(provider);
    return (
      runInContainer &&
      ((io, signal) => runInContainer(pod, container, command, io, { signal: signalOf(signal) }))
    );
  }
  const attach = provider.attachToContainer?.bind(provider);
  return (
    attach &&
    (async (io, signal) => {
      await attach(pod, container, io, { signal: signalOf(signal) });
      return undefined;
    })
  );
}
