export {
  configFields,
  renderConfigReference,
  type ConfigField,
  type ConfigFieldMeta,
} from './config-fields.js';
export { enumSchema, type EnumValues } from './enum-schema.js';
export { definePlugin, type DefinedPlugin, type PluginDefinition } from './define-plugin.js';
export { loadConfig, validateConfig, type ConfigSources } from './load-config.js';
export { quantitySchema } from './quantity-schema.js';
export { capacitySchema } from './capacity-schema.js';
