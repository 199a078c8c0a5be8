/**
 * Waits for every start-up step of a suite, then throws the first failure. Unlike `Promise.all`, the
 * steps that succeed are all kept (each assigns its result as it resolves), so `afterAll` stops the
 * control plane, containerd and registry a failed image build would otherwise leave running.
 */
export async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find(result => result.status === 'rejected');
  if (failed) throw failed.reason;
}
