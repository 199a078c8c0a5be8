import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A property of a model interface in the SDK's declaration file. */
export interface DeclaredProperty {
  optional: boolean;
  readonly: boolean;
  /** The declared type as written (`string`, `OperatingSystemTypes`, `Container[]`, ...). */
  type: string;
}

export interface DeclaredModel {
  extends: string[];
  properties: Map<string, DeclaredProperty>;
}

/**
 * The model interfaces of `@azure/arm-containerinstance`'s declaration file. Its serialization
 * mappers drop `required` on composite properties (a Container's `resources`, their `requests`) that
 * the OpenAPI definition requires; the generated interfaces keep it as a non-optional property, and
 * they name the extensible enums (`osType: OperatingSystemTypes`) the mappers type as plain strings.
 * The file is generated and regular: one `[export] declare interface X [extends A, B] {` per model,
 * one property per line, indented four spaces, and `export { X_2 as X }` for renamed ones.
 */
export function readDeclaredModels(): Map<string, DeclaredModel> {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('@azure/arm-containerinstance/package.json'));
  const text = readFileSync(join(packageDir, 'types', 'arm-containerinstance.d.ts'), 'utf8');
  const models = new Map<string, DeclaredModel>();
  const aliases: Array<[string, string]> = [];
  let current: DeclaredModel | undefined;
  for (const line of text.split(/\r?\n/)) {
    const alias = /^export \{ (\w+) as (\w+) \}/.exec(line);
    if (alias) {
      // A model whose name clashes with a global (`Event`) is declared as `Event_2` and exported renamed.
      aliases.push([alias[1]!, alias[2]!]);
      continue;
    }
    const header = /^(?:export )?declare interface (\w+)(?: extends ([\w, ]+))? \{/.exec(line);
    if (header) {
      current = { extends: header[2]?.split(',').map(name => name.trim()) ?? [], properties: new Map() };
      models.set(header[1]!, current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('}')) {
      current = undefined;
      continue;
    }
    const property = /^ {4}(readonly )?(\w+)(\?)?: ([^;]*?);?$/.exec(line);
    if (property) {
      current.properties.set(property[2]!, {
        readonly: property[1] !== undefined,
        optional: property[3] !== undefined,
        type: property[4]!.replace(/\s*\{$/, '').trim(),
      });
    }
  }
  for (const [declared, exported] of aliases) {
    const model = models.get(declared);
    if (model) models.set(exported, model);
  }
  if (!models.has('ContainerGroup')) {
    throw new Error('@azure/arm-containerinstance: its declaration file no longer has the expected layout');
  }
  return models;
}
