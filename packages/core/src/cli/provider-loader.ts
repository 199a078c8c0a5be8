import type { ProviderPlugin } from '@vkubelet/provider-kit';

import { UsageError } from './flags.js';

/** Provider names shipped by the project, each in its own package. */
export const KNOWN_PROVIDERS = ['mock', 'cri', 'fargate', 'aci', 'eci', 'nomad'] as const;

function isPlugin(value: unknown): value is ProviderPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderPlugin).name === 'string' &&
    typeof (value as ProviderPlugin).create === 'function'
  );
}

/**
 * Loads a provider by name at run time, so core depends on no provider package: `mock` from
 * provider-kit, `<name>` from `@vkubelet/provider-<name>`, or any module path/package that exports
 * a `plugin` (a provider-kit ProviderPlugin).
 */
export async function loadProviderPlugin(name: string): Promise<ProviderPlugin> {
  const specifier =
    name === 'mock'
      ? '@vkubelet/provider-kit/mock'
      : /^[a-z0-9-]+$/.test(name)
        ? `@vkubelet/provider-${name}`
        : name;
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(specifier)) {
      throw new UsageError(
        `unknown provider "${name}": install ${specifier} (known providers: ${KNOWN_PROVIDERS.join(', ')})`,
      );
    }
    throw err;
  }
  const plugin = loaded.plugin ?? loaded.mockPlugin ?? loaded.default;
  if (!isPlugin(plugin)) throw new UsageError(`${specifier} does not export a provider plugin as "plugin"`);
  return plugin;
}
