import type { z } from 'zod';

import type { Provider, ProviderContext, ProviderPlugin } from '../provider.js';
import { configFields, renderConfigReference, type ConfigField } from './config-fields.js';
import { loadConfig, validateConfig, type ConfigSources } from './load-config.js';

/** What a provider package states about itself; see `definePlugin`. */
export interface PluginDefinition<Schema extends z.ZodType> {
  /** `--provider <name>`. */
  name: string;
  /**
   * The config file's schema. Defaults come from it (`.default()`); `.meta({ description, env })`
   * documents a field and names the environment variable that supplies it when the file leaves it
   * out. A provider that needs no file gives every field a default.
   */
  configSchema: Schema;
  /** Builds the provider from the validated config. */
  create(context: ProviderContext, config: z.output<Schema>): Promise<Provider>;
}

/** A provider plugin whose configuration is declared by a schema. */
export interface DefinedPlugin<Schema extends z.ZodType> extends ProviderPlugin {
  readonly configSchema: Schema;
  /** Reads and validates the config from a file and the environment (InvalidInputError, one line). */
  loadConfig(sources?: ConfigSources): Promise<z.output<Schema>>;
  /** Validates a config object given directly (embedders, tests). */
  parseConfig(input: unknown): z.output<Schema>;
  /** The fields of the config file with their types, defaults and environment variables. */
  configFields(): ConfigField[];
  /** `configFields()` as a Markdown table, for the provider's README. */
  configReference(): string;
}

/**
 * Declares a provider plugin: `virtual-kubelet --provider <name> --provider-config <file>` loads the
 * file (YAML or JSON), fills missing fields from the environment variables the schema names and then
 * from its defaults, validates it, and calls `create` with the result. A missing, unreadable or
 * invalid file is an InvalidInputError with one line naming the file (or variable), the field and the
 * problem, which the agent reports with exit code 2.
 */
export function definePlugin<Schema extends z.ZodType>(
  definition: PluginDefinition<Schema>,
): DefinedPlugin<Schema> {
  const { name, configSchema } = definition;
  return {
    name,
    configSchema,
    loadConfig: sources => loadConfig(configSchema, sources),
    parseConfig: input => validateConfig(configSchema, input, `${name} provider config`),
    configFields: () => configFields(configSchema),
    configReference: () => renderConfigReference(configSchema),
    async create(context) {
      const config = await loadConfig(configSchema, { configPath: context.configPath });
      return definition.create(context, config);
    },
  };
}
