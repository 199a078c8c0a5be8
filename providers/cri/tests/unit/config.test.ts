import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isInvalidInput } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { loadCriConfig, parseCriConfig } from '../../src/config.js';

describe('CRI provider config', () => {
  it('fills defaults', () => {
    const config = parseCriConfig({});
    expect(config.runtimeEndpoint).toBe('unix:///run/containerd/containerd.sock');
    expect(config.backoff).toEqual({ initialMs: 10_000, maxMs: 300_000 });
    expect(config.statusIntervalMs).toBe(1_000);
  });

  it('names every bad field in one InvalidInputError', () => {
    let error: unknown;
    try {
      parseCriConfig({
        runtimeEndpoint: 'localhost:1234',
        statusIntervalMs: 5,
        podRoot: 'relative',
        extra: 1,
      });
    } catch (e) {
      error = e;
    }
    expect(isInvalidInput(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/runtimeEndpoint: must be an absolute socket path/);
    expect(message).toMatch(/statusIntervalMs/);
    expect(message).toMatch(/podRoot: must be an absolute path/);
    expect(message).toMatch(/extra/);
  });

  it('reads a JSON file and reports unreadable or malformed files with their path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vk-cri-config-'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ podRoot: '/srv/pods', reserved: { cpu: '250m', memory: '1Gi' } }));
    expect((await loadCriConfig(good)).reserved).toEqual({ cpu: '250m', memory: '1Gi' });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ nope');
    await expect(loadCriConfig(bad)).rejects.toThrow(`CRI provider config ${bad} is not valid JSON`);
    await expect(loadCriConfig(join(dir, 'missing.json'))).rejects.toThrow(/cannot read CRI provider config/);
    await expect(loadCriConfig(undefined)).resolves.toMatchObject({ podRoot: '/var/lib/vkubelet-cri/pods' });
  });

  it('rejects reservations that are not quantities', () => {
    expect(() => parseCriConfig({ reserved: { cpu: 'lots' } })).toThrow(
      /reserved.cpu: must be a Kubernetes quantity/,
    );
  });
});
