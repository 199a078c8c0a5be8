import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { ProviderPlugin } from '@vkubelet/provider-kit';

import { errorMessage } from '@vkubelet/provider-kit';
import { UsageError } from './flags.js';

/** Provider names shipped by the project, each in its own package. */
export const KNOWN_PROVIDERS = ['mock', 'cri', 'fargate', 'aci', 'eci', 'nomad'] as const;

/** A provider name: `mock`, `cri`, ... (loaded from `@vkubelet/provider-<name>`). */
const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]*$/;
/** An npm package, optionally scoped, optionally with a subpath: `@acme/vk-provider/plugin`. */
const PACKAGE = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(\/[A-Za-z0-9._~/-]+)?$/;

function isPlugin(value: unknown): value is ProviderPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderPlugin).name === 'string' &&
    typeof (value as ProviderPlugin).create === 'function'
  );
}

/** What `import()` gets for `--provider <name>`, or a UsageError saying why that is no module. */
function specifierOf(name: string): { specifier: string; known: boolean } {
  if (name === 'mock') return { specifier: '@vkubelet/provider-kit/mock', known: true };
  if (PROVIDER_NAME.test(name)) return { specifier: `@vkubelet/provider-${name}`, known: true };
  // A file only when it says so; anything else that is a path (/etc/hostname) is never executed.
  if (/\.m?js$/.test(name)) return { specifier: pathToFileURL(resolve(name)).href, known: false };
  const looksLikePath = name.startsWith('.') || name.startsWith('/') || name.includes('\\');
  if (!looksLikePath && PACKAGE.test(name)) return { specifier: name, known: false };
  throw new UsageError(
    `--provider "${name}" is not a provider name, a package or a .js/.mjs file (known providers: ${KNOWN_PROVIDERS.join(', ')})`,
  );
}

/** The plugin a module exports: `plugin`, the mock's `mockPlugin`, or a default export. */
async function importPlugin(specifier: string): Promise<ProviderPlugin | 'not-installed' | 'no-plugin'> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && errorMessage(err).includes(specifier.replace(/^file:\/\//, ''))) {
      return 'not-installed';
    }
    throw err;
  }
  const plugin = loaded.plugin ?? loaded.mockPlugin ?? loaded.default;
  return isPlugin(plugin) ? plugin : 'no-plugin';
}

/** The known providers whose package is installed and exports a plugin. */
export async function availableProviders(): Promise<string[]> {
  const found: string[] = [];
  for (const name of KNOWN_PROVIDERS) {
    const plugin = await importPlugin(specifierOf(name).specifier).catch(() => 'broken' as const);
    if (typeof plugin === 'object') found.push(name);
  }
  return found;
}

/**
 * Loads a provider at run time, so core depends on no provider package: `mock` from provider-kit,
 * `<name>` from `@vkubelet/provider-<name>`, or a package or `.js`/`.mjs` file that exports a
 * `plugin` (a provider-kit ProviderPlugin). Anything else, and a provider that is not installed or
 * exports no plugin, is a UsageError that lists the providers available.
 */
export async function loadProviderPlugin(name: string): Promise<ProviderPlugin> {
  const { specifier, known } = specifierOf(name);
  let plugin: Awaited<ReturnType<typeof importPlugin>>;
  try {
    plugin = await importPlugin(specifier);
  } catch (err) {
    throw new UsageError(`cannot load provider "${name}": ${errorMessage(err).split('\n')[0]}`);
  }
  if (typeof plugin === 'object') return plugin;
  const isFile = specifier.startsWith('file:');
  const why =
    plugin === 'not-installed'
      ? isFile
        ? `${name} does not exist`
        : `${known ? specifier : name} is not installed`
      : `${known ? specifier : name} exports no provider plugin${known ? ' yet' : ' as "plugin"'}`;
  const available = await availableProviders();
  throw new UsageError(
    `provider "${name}" is not available: ${why} (available providers: ${available.join(', ') || 'none'})`,
  );
}
