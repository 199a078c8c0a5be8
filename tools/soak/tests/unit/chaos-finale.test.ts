import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { Chaos, type Fault } from '../../src/chaos.js';
import { Rng } from '../../src/random.js';

let healedAt = 0;

function fault(kind: string, healsAfterMs: number, healed: string[]): Fault {
  return {
    kind,
    weight: 1,
    async inject() {
      await sleep(healsAfterMs);
      healed.push(kind);
      healedAt = Date.now();
      return `${kind} done`;
    },
  };
}

describe('the last fault of a run', () => {
  it('injects its kinds together and resolves once all are healed, counting each', async () => {
    const healed: string[] = [];
    const chaos = new Chaos([fault('agent-kill', 10, healed), fault('containerd-restart', 60, healed)], {
      rng: new Rng(1),
      meanGapMs: 60_000,
      log: () => {},
    });
    await chaos.finale(['containerd-restart', 'agent-kill']);
    expect(healed).toEqual(['agent-kill', 'containerd-restart']);
    expect([...chaos.injected.entries()].sort()).toEqual([
      ['agent-kill', 1],
      ['containerd-restart', 1],
    ]);
    expect(chaos.lastHealed).toBeGreaterThanOrEqual(healedAt); // the later one's heal
  });

  it('refuses a kind that does not apply to the run', async () => {
    const chaos = new Chaos([], { rng: new Rng(1), meanGapMs: 60_000, log: () => {} });
    await expect(chaos.finale(['etcd-restart'])).rejects.toThrow('no fault of kind etcd-restart');
  });
});
