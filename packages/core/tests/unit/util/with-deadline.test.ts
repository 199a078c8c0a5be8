import { describe, expect, it } from 'vitest';

import { withDeadline } from '../../../src/util/with-deadline.js';

const waitForAbort = (signal: AbortSignal): Promise<unknown> =>
  new Promise(resolve => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('withDeadline', () => {
  it('returns what the call returns and detaches from the parent signal', async () => {
    const parent = new AbortController();
    let inner: AbortSignal | undefined;
    await expect(
      withDeadline(parent.signal, 1000, async signal => {
        inner = signal;
        return 42;
      }),
    ).resolves.toBe(42);
    parent.abort(new Error('later'));
    expect(inner?.aborted).toBe(false);
  });

  it('aborts the call when the time runs out', async () => {
    const reason = await withDeadline(new AbortController().signal, 20, waitForAbort);
    expect(reason).toMatchObject({ name: 'TimeoutError', message: 'timed out after 20 ms' });
  });

  it('aborts the call with the parent reason when the parent aborts', async () => {
    const parent = new AbortController();
    const running = withDeadline(parent.signal, 10_000, waitForAbort);
    const why = new Error('shutting down');
    parent.abort(why);
    await expect(running).resolves.toBe(why);
  });

  it('starts aborted when the parent already is', async () => {
    const why = new Error('gone');
    await expect(withDeadline(AbortSignal.abort(why), 10_000, async signal => signal.reason)).resolves.toBe(
      why,
    );
  });
});
