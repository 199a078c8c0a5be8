import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { copyRepository, run, runOk, start, startRegistry, type LocalRegistry } from '../../src/index.js';

/**
 * The release as a user meets it: the repository as it is is copied to a temp dir, versioned and
 * published by changesets to a local verdaccio, and installed from there into an empty project with
 * Node 24, where `virtual-kubelet` runs each published provider and registers a mock node.
 */
const repo = fileURLToPath(new URL('../../../..', import.meta.url));
const node24Bin = join(repo, 'node_modules/.bin');
/** The machine's own Node (Debian's), older than the packages need. */
const SYSTEM_NODE = '/usr/bin/node';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
}
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** The provider packages that are published (a provider stays private until it is usable). */
function publishedProviders(root: string): string[] {
  return readdirSync(join(root, 'providers'))
    .map(dir => manifestOf(join(root, 'providers', dir)))
    .filter(manifest => !manifest.private)
    .map(manifest => manifest.name.replace('@vkubelet/provider-', ''))
    .sort();
}

/** The package folders changesets publishes: core, provider-kit and the published providers. */
const publishedDirs = (root: string) => [
  'packages/core',
  'packages/provider-kit',
  ...publishedProviders(root).map(p => `providers/${p}`),
];

function withoutProvenance(dir: string): void {
  const file = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { publishConfig?: { provenance?: boolean } };
  expect(manifest.publishConfig?.provenance, `${dir} publishes with provenance`).toBe(true);
  manifest.publishConfig = { ...manifest.publishConfig, provenance: false };
  writeFileSync(file, JSON.stringify(manifest, null, 2));
}

let work: string;
let registry: LocalRegistry;
let env: NodeJS.ProcessEnv;
let app: string;
let published: Manifest[];
const providers = publishedProviders(repo);

const started = Date.now();
const progress = (step: string) =>
  console.log(`[release check ${((Date.now() - started) / 1000).toFixed(0)}s] ${step}`);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vkubelet-release-'));
  registry = await startRegistry(join(work, 'registry'));
  const source = join(work, 'repo');
  progress(`copying the repository to ${source}; verdaccio at ${registry.url}`);
  await copyRepository(repo, source);
  // Provenance needs the identity of a CI provider, which a local publish has not, and npm lets only
  // a command-line flag override publishConfig: the one change made to the copy.
  for (const dir of publishedDirs(source)) withoutProvenance(join(source, dir));
  // npm's user config: the local registry and its token; Node 24 first on PATH; CI (no spinners).
  const npmrc = join(work, 'npmrc');
  const host = registry.url.replace(/^http:/, '');
  writeFileSync(npmrc, `registry=${registry.url}\n${host}:_authToken=${registry.token}\n`);
  env = {
    ...process.env,
    PATH: `${node24Bin}${delimiter}${process.env['PATH'] ?? ''}`,
    NPM_CONFIG_USERCONFIG: npmrc,
    CI: 'true',
  };
  const changeset = join(source, 'node_modules/.bin/changeset');
  progress('changeset version');
  await runOk(changeset, ['version'], { cwd: source, env });
  progress('changeset publish (each package builds in its prepack)');
  await runOk(changeset, ['publish'], { cwd: source, env, timeoutMs: 600_000 });
  published = publishedDirs(source).map(dir => manifestOf(join(source, dir)));

  // An empty project that takes @vkubelet/* from the local registry and everything else from npm.
  app = join(work, 'app');
  await runOk('mkdir', ['-p', app], { cwd: work });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  writeFileSync(join(app, '.npmrc'), `@vkubelet:registry=${registry.url}\n`);
  const appEnv = { ...env, NPM_CONFIG_USERCONFIG: '/dev/null' };
  progress(`npm install @vkubelet/core ${providers.map(p => `@vkubelet/provider-${p}`).join(' ')} in ${app}`);
  await runOk(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '@vkubelet/core',
      ...providers.map(p => `@vkubelet/provider-${p}`),
    ],
    { cwd: app, env: appEnv, timeoutMs: 600_000 },
  );
  env = appEnv;
  progress('installed');
});

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('changesets publishes the workspace', () => {
  it('publishes core, provider-kit and every published provider with built files', async () => {
    for (const manifest of published) {
      const response = await fetch(`${registry.url}${manifest.name.replace('/', '%2f')}`);
      expect(response.status, manifest.name).toBe(200);
      const doc = (await response.json()) as { versions: Record<string, { dist: { fileCount?: number } }> };
      expect(Object.keys(doc.versions), manifest.name).toContain(manifest.version);
    }
    const core = join(app, 'node_modules/@vkubelet/core');
    for (const file of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'src/index.ts',
      'LICENSE',
      'README.md',
    ])
      expect(existsSync(join(core, file)), file).toBe(true);
  });

  it('gives workspace dependencies caret ranges of the released versions', () => {
    const installed = manifestOf(join(app, 'node_modules/@vkubelet/core')) as Manifest & {
      dependencies: Record<string, string>;
    };
    const kit = published.find(m => m.name === '@vkubelet/provider-kit');
    expect(installed.dependencies['@vkubelet/provider-kit']).toBe(`^${kit?.version}`);
  });
});

describe('the installed virtual-kubelet command', () => {
  it.each(providers)('runs --provider %s --help and loads the provider', async provider => {
    const help = await run('npx', ['--no-install', 'virtual-kubelet', '--provider', provider, '--help'], {
      cwd: app,
      env,
    });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: virtual-kubelet');
    const loads = await run('npx', ['--no-install', 'virtual-kubelet', 'providers', provider], {
      cwd: app,
      env,
    });
    expect(loads.stdout.trim(), loads.stderr).toBe(provider);
  });

  it('says in one line that Node.js >= 22.12 is needed on the system Node', async () => {
    const version = await runOk(SYSTEM_NODE, ['--version'], { cwd: app, env });
    expect(version.stdout, `${SYSTEM_NODE} must be older than 22.12 for this check`).toMatch(
      /^v(1\d|20|21|22\.(\d|1[01])\.)/,
    );
    const result = await run(SYSTEM_NODE, ['node_modules/.bin/virtual-kubelet', '--help'], { cwd: app, env });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `virtual-kubelet: Node.js >= 22.12 is needed; this is Node.js ${version.stdout.trim().slice(1)}\n`,
    );
  });

  describe('with the mock provider against a control plane', () => {
    let cp: ControlPlane;
    beforeAll(async () => {
      cp = await startControlPlane({ name: 'release-check', scheduler: false, controllerManager: false });
    });
    afterAll(async () => {
      await cp?.stop();
    });

    it('registers a Ready node', async () => {
      const node = 'release-mock-0';
      const agent = start(
        'npx',
        [
          '--no-install',
          'virtual-kubelet',
          '--provider',
          'mock',
          '--nodename',
          node,
          '--kubeconfig',
          await cp.nodeKubeconfig(node),
          '--client-ca-file',
          cp.ca.certPath,
          '--listen-address',
          '127.0.0.1:0',
          '--node-ip',
          '127.0.0.1',
          '--metrics-addr',
          '127.0.0.1:0',
        ],
        { cwd: app, env, timeoutMs: 120_000 },
      );
      const readyStatus = () =>
        cp.kubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      const ready = await vi
        .waitFor(
          async () => {
            const status = await readyStatus();
            if (status.stdout !== 'True')
              throw new Error(`node ${node} not Ready: ${status.stdout}${status.stderr}`);
          },
          { timeout: 90_000, interval: 500 },
        )
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      // Whatever happened, stop the agent (its process group: npx and virtual-kubelet) before looking.
      agent.signal('SIGTERM');
      const exited = await agent.result;
      expect(ready, `agent output:\n${exited.stderr}`).toBeUndefined();
      expect(exited.stderr).toContain('shutting down');
    });
  });
});
