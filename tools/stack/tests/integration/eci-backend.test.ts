import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { findProvider } from '../../src/providers/index.js';

/**
 * The eci entry's backend on its own: the emulator CLI starts, its connection becomes the provider's
 * config and credentials, and stop() ends it. The whole stack, provider included, runs in
 * e2e/tests/stack.
 */
const dir = mkdtempSync(join(tmpdir(), 'vk-stack-eci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the eci backend', () => {
  it('starts the ECI emulator, hands its endpoint and keys to virtual-kubelet, and stops it', async () => {
    const progress: string[] = [];
    const backend = await findProvider('eci')!.startBackend!({
      stateDir: dir,
      logsDir: dir,
      nodeName: 'vkubelet-eci-0',
      progress: message => progress.push(message),
    });
    const config = backend.providerConfig as { endpoint: string; region: string };
    expect(config.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(config.region).toBe('cn-hangzhou');
    expect(Object.keys(backend.env ?? {}).sort()).toEqual(['ECI_ACCESS_KEY', 'ECI_SECRET_KEY']);
    // With the key from the environment, every field providers/eci requires.
    expect(Object.keys(config).sort()).toEqual(
      ['clusterName', 'endpoint', 'region', 'securityGroupId', 'statusIntervalMs', 'vSwitchIds'].sort(),
    );
    expect(progress).toEqual(['starting the ECI emulator']);

    // An RPC request without an Action is refused the gateway's way: the emulator is serving.
    const answer = await fetch(`${config.endpoint}/?Version=2018-08-08`);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ Code: 'MissingParameter' });

    await backend.stop();
    await expect(fetch(config.endpoint)).rejects.toThrow();
  });
});
