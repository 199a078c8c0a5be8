import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { errorMessage, isInvalidInput } from '@vkubelet/provider-kit';
import { describe, expect, it } from 'vitest';

import { plugin } from '../../src/plugin.js';

describe('CRI provider config', () => {
  it('fills defaults', () => {
    const config = plugin.parseConfig({});
    expect(config.runtimeEndpoint).toBe('unix:///run/containerd/containerd.sock');
    expect(config.backoff).toEqual({ initialMs: 10_000, maxMs: 300_000 });
    expect(config.reserved).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(config.statusIntervalMs).toBe(1_000);
  });

  it('names every bad field in one InvalidInputError of one line', () => {
    let error: unknown;
    try {
      plugin.parseConfig({
        runtimeEndpoint: 'localhost:1234',
        statusIntervalMs: 5,
        podRoot: 'relative',
        extra: 1,
      });
    } catch (e) {
      error = e;
    }
    expect(isInvalidInput(error)).toBe(true);
    const message = errorMessage(error);
    expect(message).not.toContain('\n');
    expect(message).toMatch(/runtimeEndpoint: must be an absolute socket path/);
    expect(message).toMatch(/statusIntervalMs/);
    expect(message).toMatch(/podRoot: must be an absolute path/);
    expect(message).toMatch(/extra: unknown field/);
  });

  it('reads YAML or JSON files and reports unreadable or malformed files with their path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vk-cri-config-'));
    try {
      const good = join(dir, 'good.json');
      await writeFile(
        good,
        JSON.stringify({ podRoot: '/srv/pods', reserved: { cpu: '250m', memory: '1Gi' } }),
      );
      expect((await plugin.loadConfig({ configPath: good })).reserved).toEqual({
        cpu: '250m',
        memory: '1Gi',
      });
      const yaml = join(dir, 'good.yaml');
      await writeFile(yaml, 'podRoot: /srv/pods\nclusterDNS: [10.96.0.10]\n');
      expect((await plugin.loadConfig({ configPath: yaml })).clusterDNS).toEqual(['10.96.0.10']);
      const bad = join(dir, 'bad.json');
      await writeFile(bad, '{ nope');
      await expect(plugin.loadConfig({ configPath: bad })).rejects.toThrow(
        `--provider-config ${bad}: not valid YAML or JSON`,
      );
      await expect(plugin.loadConfig({ configPath: join(dir, 'missing.json') })).rejects.toThrow(
        /cannot read it/,
      );
      await expect(plugin.loadConfig({})).resolves.toMatchObject({ podRoot: '/var/lib/vkubelet-cri/pods' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects reservations that are not quantities', () => {
    expect(() => plugin.parseConfig({ reserved: { cpu: 'lots' } })).toThrow(
      'cri provider config: reserved.cpu: expected a quantity, got "lots"',
    );
  });

  it('documents every field in the README, generated from the schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(plugin.configReference());
  });
});
