import type { V1Node, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { TransientError, type CallOptions, type Logger, type Provider } from '@vkubelet/provider-kit';
import { Agent, request, type Dispatcher } from 'undici';

import { AGENT_HEADER, CRASH_HEADER, fromWireError, type WireError } from './protocol.js';

export interface RemoteMockProviderOptions {
  /** Base URL of the MockBackendServer. */
  url: string;
  /** This agent's name in the backend's record. */
  agent: string;
  /** Die (SIGKILL to this process) when an answer says so: the soak's crash points. */
  crashOnDemand: boolean;
  logger: Logger;
}

const RECONNECT_MS = 200;

/**
 * The mock provider of an agent whose pods live in another process (MockBackendServer): the pod
 * lifecycle, ping and notifications over HTTP. Optional capabilities (logs, exec, stats) are left
 * out; the soak does not use them. When the backend marks an answer as a crash point the process
 * kills itself right there, after the backend did the work and before core sees the result: the
 * "crash between a provider create and its status write" of the soak.
 */
export class RemoteMockProvider implements Provider {
  private readonly dispatcher: Dispatcher;
  private readonly stop = new AbortController();

  constructor(private readonly options: RemoteMockProviderOptions) {
    this.dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  }

  createPod(pod: V1Pod, options: CallOptions): Promise<void> {
    return this.call('POST', '/pods/create', options.signal, pod);
  }

  updatePod(pod: V1Pod, options: CallOptions): Promise<void> {
    return this.call('POST', '/pods/update', options.signal, pod);
  }

  deletePod(pod: V1Pod, options: CallOptions): Promise<void> {
    return this.call('POST', '/pods/delete', options.signal, pod);
  }

  getPod(namespace: string, name: string, options: CallOptions): Promise<V1Pod> {
    return this.call(
      'GET',
      `/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`,
      options.signal,
    );
  }

  getPodStatus(namespace: string, name: string, options: CallOptions): Promise<V1PodStatus> {
    const path = `/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/status`;
    return this.call('GET', path, options.signal);
  }

  getPods(options: CallOptions): Promise<V1Pod[]> {
    return this.call('GET', '/pods', options.signal);
  }

  ping(options: CallOptions): Promise<void> {
    return this.call('GET', '/ping', options.signal);
  }

  /** The backend fills in capacity, conditions and node info, as the in-process mock does. */
  async configureNode(node: V1Node): Promise<void> {
    const configured = await this.call<V1Node>('POST', '/node', AbortSignal.timeout(30_000), node);
    Object.assign(node, configured);
  }

  notifyPods(callback: (pod: V1Pod) => void): void {
    void this.follow(callback);
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.dispatcher.close();
  }

  /** Reads the backend's notification stream, reconnecting (the backend replays every pod) when it drops. */
  private async follow(callback: (pod: V1Pod) => void): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      try {
        const response = await request(`${this.options.url}/watch`, {
          dispatcher: this.dispatcher,
          headers: { [AGENT_HEADER]: this.options.agent },
          signal,
        });
        let rest = '';
        for await (const chunk of response.body) {
          rest += (chunk as Buffer).toString('utf8');
          let newline = rest.indexOf('\n');
          while (newline >= 0) {
            const line = rest.slice(0, newline);
            rest = rest.slice(newline + 1);
            if (line) callback(JSON.parse(line) as V1Pod);
            newline = rest.indexOf('\n');
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        this.options.logger.warn('mock backend notifications dropped; reconnecting', { err: String(err) });
      }
      await new Promise(resolve => setTimeout(resolve, RECONNECT_MS));
    }
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<T> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${this.options.url}${path}`, {
        method,
        dispatcher: this.dispatcher,
        headers: { [AGENT_HEADER]: this.options.agent, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new TransientError(`mock backend unreachable: ${String(err)}`, { cause: err });
    }
    if (this.options.crashOnDemand && response.headers[CRASH_HEADER]) {
      // The backend did the work; core must not learn of it. SIGKILL leaves no chance to.
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => {});
    }
    const text = await response.body.text();
    if (response.statusCode >= 400) throw fromWireError(JSON.parse(text) as WireError);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
