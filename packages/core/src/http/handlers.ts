import type { ServerResponse } from 'node:http';

import type { V1Pod } from '@kubernetes/client-node';

import { HttpError, writeJson } from './errors.js';
import { applyLogOptions, type PodRef, type Provider } from '@vkubelet/provider-kit';
import { EPHEMERAL_NOT_SUPPORTED } from '../pod/ephemeral.js';
import { parseContainerLogOptions } from './logs/options.js';
import { writeChunks } from './logs/write.js';
import { RESOURCE_METRICS_CONTENT_TYPE, renderResourceMetrics } from './resource-metrics.js';
import type { RouteMatch } from './routes.js';

/** What the REST handlers need from the server. */
export interface HandlerContext {
  provider: Provider;
  listPods: () => V1Pod[];
  /** Aborted when the server closes, so long log streams end with it. */
  serverSignal: AbortSignal;
}

export const notImplemented = (): HttpError => new HttpError(501, '501 not implemented');

/** Kubernetes object names (DNS subdomains); anything else cannot name a pod or container. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** A path parameter that names a Kubernetes object, or a 400 (a decoded `%2F` must not reach a provider). */
export function objectName(params: Record<string, string>, key: string): string {
  const value = params[key] ?? '';
  if (!OBJECT_NAME.test(value)) throw new HttpError(400, `invalid ${key} name ${JSON.stringify(value)}`);
  return value;
}

/** The pod a request names, with its UID when this node knows the pod. */
export function podRefOf(params: Record<string, string>, listPods: () => V1Pod[]): PodRef {
  const namespace = objectName(params, 'namespace');
  const name = objectName(params, 'pod');
  const known = listPods().find(p => p.metadata?.namespace === namespace && p.metadata.name === name);
  const uid = known?.metadata?.uid;
  return uid ? { namespace, name, uid } : { namespace, name };
}

function podList(items: V1Pod[]): unknown {
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
}

/** One AbortSignal per request: aborted when the client goes away or the server closes. */
function requestSignal(res: ServerResponse, serverSignal: AbortSignal): AbortSignal {
  const clientGone = new AbortController();
  res.once('close', () => clientGone.abort(new Error('client closed the connection')));
  return AbortSignal.any([clientGone.signal, serverSignal]);
}

/** The message of an ephemeral container core refused for the provider (see pod/ephemeral.ts). */
function refusedEphemeralContainer(pods: V1Pod[], ref: PodRef, container: string): string | undefined {
  const pod = pods.find(p => p.metadata?.namespace === ref.namespace && p.metadata.name === ref.name);
  const status = pod?.status?.ephemeralContainerStatuses?.find(s => s.name === container);
  const terminated = status?.state?.terminated;
  return terminated?.reason === EPHEMERAL_NOT_SUPPORTED ? terminated.message : undefined;
}

async function containerLogs(
  ctx: HandlerContext,
  route: RouteMatch,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const options = parseContainerLogOptions(query);
  const pod = podRefOf(route.params, ctx.listPods);
  const container = objectName(route.params, 'container');
  const refused = refusedEphemeralContainer(ctx.listPods(), pod, container);
  if (refused !== undefined) {
    // `kubectl debug -it` shows the logs of an ephemeral container that ended: let them say why.
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(`${refused}\n`);
    return;
  }
  const getLogs = ctx.provider.getContainerLogs?.bind(ctx.provider);
  if (!getLogs) throw notImplemented();
  const now = new Date();
  const signal = requestSignal(res, ctx.serverSignal);
  const items = await getLogs(pod, container, { ...options, signal });
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  // Send the headers now: with `follow` the first line may be a long time coming.
  res.flushHeaders();
  try {
    await writeChunks(res, applyLogOptions(items, options, now), signal);
  } catch (err) {
    // A provider failing mid-stream cannot change the status any more; the caller cuts the
    // response so the client sees it end early rather than cleanly.
    if (!signal.aborted) throw err;
  }
  res.end();
}

/** Serves a routed, authorized, non-upgrade request. Throws HttpError/provider errors for the caller to map. */
export async function handleRequest(
  ctx: HandlerContext,
  route: RouteMatch,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  switch (route.name) {
    case 'healthz':
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    case 'pods':
      writeJson(res, podList(ctx.listPods()));
      return;
    case 'runningPods': {
      const signal = requestSignal(res, ctx.serverSignal);
      writeJson(res, podList(await ctx.provider.getPods({ signal })));
      return;
    }
    case 'statsSummary': {
      if (!ctx.provider.getStatsSummary) throw notImplemented();
      const signal = requestSignal(res, ctx.serverSignal);
      writeJson(res, await ctx.provider.getStatsSummary({ signal }));
      return;
    }
    case 'metricsResource':
      return metricsResource(ctx, res);
    case 'containerLogs':
      return containerLogs(ctx, route, query, res);
    case 'exec':
    case 'attach':
    case 'portForward':
      // Streaming needs a protocol upgrade (SPDY or WebSocket); a plain request cannot carry it.
      throw new HttpError(400, 'Upgrade request required');
  }
}

async function metricsResource(ctx: HandlerContext, res: ServerResponse): Promise<void> {
  const getStatsSummary = ctx.provider.getStatsSummary?.bind(ctx.provider);
  if (!getStatsSummary) throw notImplemented();
  const signal = requestSignal(res, ctx.serverSignal);
  // Like the kubelet's collector, a failing summary is reported in the scrape error gauges, not
  // as an HTTP error, so metrics-server sees "no data" rather than a broken node.
  const summary = await getStatsSummary({ signal }).catch(() => undefined);
  const body = renderResourceMetrics(summary);
  res.writeHead(200, {
    'Content-Type': RESOURCE_METRICS_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
