import type { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import RPCClient from '@alicloud/pop-core';
import { noopLogger, type Logger } from '@vkubelet/provider-kit';

import { callEci, describeFailure } from './errors.js';
import { flattenParams, type ParamTree } from './params.js';

/** ECI's API version; the actions and fields this provider uses are those of 2018-08-08. */
export const ECI_API_VERSION = '2018-08-08';

export interface EciCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** With a temporary (STS) key. */
  securityToken?: string | undefined;
}

export interface EciClientOptions {
  /** `https://eci.<region>.aliyuncs.com`, or an emulator's address. */
  endpoint: string;
  regionId: string;
  credentials: EciCredentials;
  /** Time limit of one request. */
  timeoutMs: number;
  /** Attempts per call (1: no retry). */
  maxAttempts: number;
  logger?: Logger;
  /** The pause before retry `attempt` (1-based); tests shorten it. */
  backoffMs?: (attempt: number) => number;
}

export interface RequestOptions {
  signal: AbortSignal;
  /**
   * Sending it again after a lost answer does no harm (a read, a create or update with a
   * ClientToken, a delete): then 5xx answers and network errors are retried too, not only
   * throttling, which ECI answers before doing anything.
   */
  idempotent?: boolean;
}

/** Exponential backoff with full jitter: 0.2 s, 0.4 s, 0.8 s, ... at most 5 s. */
function defaultBackoff(attempt: number): number {
  return Math.random() * Math.min(5_000, 200 * 2 ** (attempt - 1));
}

/**
 * ECI's RPC API through pop-core, Alibaba Cloud's own client, which signs every request
 * (signature v1). Every request is a POST (large creates do not fit a URL), its parameters flattened
 * here (see flattenParams), RegionId added, its errors mapped to provider-kit's (callEci).
 */
export class EciClient {
  private readonly rpc: RPCClient;
  private readonly logger: Logger;
  private readonly backoffMs: (attempt: number) => number;

  constructor(private readonly options: EciClientOptions) {
    const { credentials } = options;
    this.rpc = new RPCClient({
      endpoint: options.endpoint,
      apiVersion: ECI_API_VERSION,
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
    });
    this.logger = options.logger ?? noopLogger;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
  }

  get regionId(): string {
    return this.options.regionId;
  }

  get endpoint(): string {
    return this.options.endpoint;
  }

  /**
   * Runs `action` with `params`; retries throttling (and, for idempotent requests, outages) with
   * backoff up to `maxAttempts`, then fails with the mapped error (TransientError when throttled).
   */
  request<T>(action: string, params: ParamTree, options: RequestOptions): Promise<T> {
    const flat = flattenParams({ RegionId: this.options.regionId, ...params });
    return callEci(action, async () => {
      for (let attempt = 1; ; attempt++) {
        options.signal.throwIfAborted();
        try {
          return await untilAborted(
            this.rpc.request<T>(action, flat, { method: 'POST', timeout: this.options.timeoutMs }),
            options.signal,
          );
        } catch (error) {
          if (options.signal.aborted || attempt >= this.options.maxAttempts) throw error;
          const failure = describeFailure(error);
          const retry =
            failure.kind === 'throttled' || (options.idempotent === true && failure.kind === 'unavailable');
          if (!retry) throw error;
          const pauseMs = this.backoffMs(attempt);
          this.logger.debug('ECI request retried', { action, code: failure.code, attempt, pauseMs });
          await sleep(pauseMs, undefined, { signal: options.signal });
        }
      }
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    (this.rpc as unknown as { keepAliveAgent?: Agent }).keepAliveAgent?.destroy();
  }
}

/**
 * The request's outcome, or the abort as soon as `signal` fires: pop-core takes no signal, so a
 * request abandoned this way finishes (or times out) on its own, unobserved.
 */
function untilAborted<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  request.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
