import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { PROVIDERS } from '@vkubelet/stack';
import { afterAll, describe, expect, it } from 'vitest';

import { expectationsFor } from './expectations.js';
import { cliCommand, eventually, repo, runStartCommand, sh, type StartedStack } from './start-command.js';

/**
 * The start command for every provider of the local stack, as the README has users run it: wait for
 * the KUBECONFIG line, run the provider's "Try it" commands one by one, then kubectl run, logs, exec
 * and top pod. A provider virtual-kubelet cannot load yet (its package is still being written) must be
 * refused at once, with the reason and nothing left behind.
 */
const stacks = mkdtempSync(join(tmpdir(), 'vk-e2e-stacks-'));
// A fresh shell: no KUBECONFIG exported.
const { KUBECONFIG: _exported, ...inherited } = process.env;
const env = { ...inherited, VKUBELET_STACKS: stacks };
const running: StartedStack[] = [];
const readyTimes: string[] = [];

afterAll(async () => {
  // A stack left by a failed test: stopped the way Ctrl-C does, before its directory goes.
  for (const stack of running) await stack.stop('SIGTERM');
  rmSync(stacks, { recursive: true, force: true });
  if (readyTimes.length > 0) console.log(`time to KUBECONFIG line: ${readyTimes.join(', ')}`);
}, 60_000);

/** Where the backend listened, from the provider config the stack wrote (none for the mock). */
function backendOf(configFile: string): { url?: string; socket?: string } {
  if (!existsSync(configFile)) return {};
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  const endpoint = typeof config['endpoint'] === 'string' ? config['endpoint'] : undefined;
  const runtime = typeof config['runtimeEndpoint'] === 'string' ? config['runtimeEndpoint'] : undefined;
  return {
    ...(endpoint ? { url: endpoint } : {}),
    ...(runtime ? { socket: runtime.replace(/^unix:\/\//, '') } : {}),
  };
}

/** The backend stopped with the stack: its endpoint refuses connections, its socket is gone. */
async function expectStopped(backend: { url?: string; socket?: string }): Promise<void> {
  if (backend.url) await expect(fetch(backend.url, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  if (backend.socket) expect(existsSync(backend.socket)).toBe(false);
}

/**
 * A provider package that is no longer private is written: virtual-kubelet must load it, so a broken
 * build fails here instead of passing as "unwritten". (The mock is built into core.)
 */
function published(provider: string): boolean {
  const manifest = join(repo, 'providers', provider, 'package.json');
  return (
    existsSync(manifest) &&
    (JSON.parse(readFileSync(manifest, 'utf8')) as { private?: boolean }).private !== true
  );
}

async function pluginLoads(provider: string): Promise<boolean> {
  return promisify(execFile)(process.execPath, [
    join(repo, 'packages/core/dist/cli/main.js'),
    'providers',
    provider,
  ]).then(
    () => true,
    () => false,
  );
}

describe.each(PROVIDERS.map(entry => [entry.name, entry] as const))(
  'start.sh --provider %s',
  (name, entry) => {
    it('gets Ready; its try-it commands and kubectl run, logs, exec, top pod work (refused at once while unwritten)', async () => {
      const stackName = `e2e-${name}-${process.pid}`;
      const loads = await pluginLoads(name);
      if (published(name)) expect(loads, `virtual-kubelet providers ${name}`).toBe(true);
      if (!loads) {
        const refused = await sh(`${cliCommand} up --provider ${name} --name ${stackName}`, env);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain(`provider ${name} is not available`);
        expect(existsSync(join(stacks, stackName))).toBe(false);
        return;
      }

      const stack = await runStartCommand(['--provider', name, '--name', stackName], env);
      running.push(stack);
      readyTimes.push(`${name} ${(stack.readyAfterMs / 1000).toFixed(1)} s`);
      expect(stack.stdout()).toBe(`KUBECONFIG=${join(stacks, stackName, 'kubeconfig')}\n`);
      for (const command of entry.tryIt) {
        expect(stack.stderr()).toContain(`  ${command}\n`);
        const run = () => stack.sh(command);
        const result = command.startsWith('kubectl top') ? await eventually(run, 90_000) : await run();
        expect(result, `${command}\n${result.stderr}`).toMatchObject({ code: 0 });
      }

      const expected = expectationsFor(name);
      await stack.sh('kubectl wait --for=condition=Ready pod/demo');
      expect((await stack.sh('kubectl logs demo')).stdout).toBe(expected.logs);
      const exec = await stack.sh('kubectl exec demo -- echo hi');
      if ('stdout' in expected.exec) expect(exec).toMatchObject({ code: 0, stdout: expected.exec.stdout });
      else expect(exec.stderr).toMatch(expected.exec.refused);
      if ('matches' in expected.top) {
        const top = await eventually(() => stack.sh('kubectl top pod demo --no-headers'), 90_000);
        expect(top.stdout).toMatch(expected.top.matches);
      } else {
        // Past two scrapes of metrics-server, so "not yet" has become "never".
        await new Promise(resolveWait => setTimeout(resolveWait, 25_000));
        const top = await stack.sh('kubectl top pod demo --no-headers');
        expect(top.code).not.toBe(0);
        expect(top.stderr).toMatch(expected.top.refused);
      }

      const backend = backendOf(join(stacks, stackName, 'provider-config.json'));
      // A provider with a backend names where it listens, so the check after stop means something.
      if (entry.startBackend) expect(backend).not.toEqual({});
      expect(await stack.stop()).toBe(0);
      running.splice(running.indexOf(stack), 1);
      expect(stack.stderr()).toContain(`stack "${stackName}" stopped`);
      expect(existsSync(join(stacks, stackName))).toBe(false);
      await expectStopped(backend);
    }, 360_000);
  },
);
