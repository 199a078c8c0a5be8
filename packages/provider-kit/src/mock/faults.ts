import { setTimeout as sleep } from 'node:timers/promises';

import { InvalidInputError, NotFoundError, TransientError } from '../errdefs/index.js';
import type { MockOperation, MockSettings } from './options.js';
import { seededRandom } from './random.js';

/** Applies the configured latency and injected errors before a provider call does its work. */
export class FaultInjector {
  private readonly random: () => number;

  constructor(private readonly settings: Pick<MockSettings, 'latencyMs' | 'errors' | 'seed'>) {
    this.random = seededRandom(settings.seed);
  }

  async before(operation: MockOperation, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const delay = this.latency();
    if (delay > 0) await sleep(delay, undefined, { signal });
    for (const injected of this.settings.errors) {
      if (injected.operation !== '*' && injected.operation !== operation) continue;
      if (this.random() >= injected.rate) continue;
      const message = `mock: injected ${injected.kind} failure in ${operation}`;
      switch (injected.kind) {
        case 'NotFound':
          throw new NotFoundError(message);
        case 'Transient':
          throw new TransientError(message);
        case 'InvalidInput':
          throw new InvalidInputError(message);
        case 'plain':
          throw new Error(message);
      }
    }
  }

  private latency(): number {
    const latency = this.settings.latencyMs;
    if (typeof latency === 'number') return latency;
    return latency.min + this.random() * (latency.max - latency.min);
  }
}
