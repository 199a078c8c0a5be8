import { describe, expect, it } from 'vitest';

import { WorkQueue, type WorkItem } from '../../../src/queue/work-queue.js';

describe('WorkQueue item information', () => {
  it('tells the handler how long a key waited past its due time and which attempt this is', async () => {
    const seen: WorkItem[] = [];
    let release!: () => void;
    const held = new Promise<void>(resolve => (release = resolve));
    const queue = new WorkQueue({
      name: 'items',
      workers: 1,
      baseBackoffMs: 5,
      handler: async (key, _signal, item) => {
        seen.push(item);
        if (key === 'first') await held;
        if (key === 'flaky' && item.attempt < 3) throw new Error('again');
      },
    });
    const abort = new AbortController();
    const running = queue.run(abort.signal);
    queue.enqueue('first');
    queue.enqueue('flaky'); // waits behind "first" for the only worker
    await new Promise(resolve => setTimeout(resolve, 60));
    release();
    while (seen.length < 4) await new Promise(resolve => setTimeout(resolve, 5));
    abort.abort();
    await running;
    expect(seen.map(item => item.attempt)).toEqual([1, 1, 2, 3]);
    expect(seen[1]!.waitMs).toBeGreaterThanOrEqual(50);
    expect(seen[0]!.waitMs).toBeLessThan(50);
  });
});
