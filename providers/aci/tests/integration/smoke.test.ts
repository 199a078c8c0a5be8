import { PassThrough } from 'node:stream';
import type { AciEmulator } from '@vkubelet/aci-emulator';
import { applyLogOptions } from '@vkubelet/provider-kit';
import { fakeProviderContext } from '@vkubelet/provider-kit/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';

import { createAciProvider } from '../../src/plugin.js';
import type { AciProvider } from '../../src/provider.js';
import { emulatorConfig, shellPod, startEmulator, subnetOf } from '../support/emulator.js';

let aci: AciEmulator;
let provider: AciProvider;
const signal = () => AbortSignal.timeout(20_000);

beforeAll(async () => {
  aci = await startEmulator();
  provider = await createAciProvider(fakeProviderContext(), {
    config: emulatorConfig(aci, { subnetId: subnetOf(aci) }),
  });
});
afterAll(async () => {
  await provider?.close();
  await aci?.stop();
});

it('runs a pod', async () => {
  const pod = shellPod('smoke', 'echo hello; sleep 600', { restartPolicy: 'Always' });
  await provider.createPod(pod, { signal: signal() });
  await vi.waitFor(
    async () => {
      const status = await provider.getPodStatus('default', 'smoke', { signal: signal() });
      expect(status.phase).toBe('Running');
    },
    { timeout: 10_000 },
  );
  const lines: string[] = [];
  for await (const line of applyLogOptions(
    await provider.getContainerLogs({ namespace: 'default', name: 'smoke' }, 'app', {
      signal: signal(),
      follow: false,
      previous: false,
      timestamps: false,
    }),
    { follow: false, previous: false, timestamps: false },
  ))
    lines.push(line.toString());
  expect(lines.join('')).toBe('hello\n');
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', c => chunks.push(c));
  const code = await provider.runInContainer(
    { namespace: 'default', name: 'smoke' },
    'app',
    ['sh', '-c', 'echo out; exit 7'],
    { stdout: out, tty: false },
    { signal: signal() },
  );
  expect(Buffer.concat(chunks).toString()).toBe('out\n');
  expect(code).toBe(7);
  await provider.deletePod(pod, { signal: signal() });
  expect(aci.faithfulnessViolations()).toEqual([]);
});
