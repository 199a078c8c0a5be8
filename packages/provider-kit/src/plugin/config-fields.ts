import { z } from 'zod';

/** One field of a provider's config file, as its schema describes it. */
export interface ConfigField {
  /** Dotted path in the file (`capacity.cpu`); `<key>` stands for a key of a map. */
  path: string;
  /** Type as a reader would write it: `string`, `integer`, `quantity`, `"a" | "b"`, `string[]`. */
  type: string;
  /** Must be set (no default, not optional). */
  required: boolean;
  /** The value used when the file and the environment leave the field out. */
  default?: unknown;
  /** Environment variable the field is read from when the file leaves it out. */
  env?: string;
  description?: string;
}

/**
 * What a config schema field may carry in its metadata (`.meta({...})`): `description` for the
 * reference, `env` for the variable that supplies the field when the file leaves it out, `format`
 * naming a type for the reference (`quantity`).
 */
export interface ConfigFieldMeta {
  description?: string;
  env?: string;
  format?: string;
}

type AnySchema = z.core.$ZodType;

function metaOf(schema: AnySchema): ConfigFieldMeta {
  return (z.globalRegistry.get(schema) as ConfigFieldMeta | undefined) ?? {};
}

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  items?: JsonSchemaNode;
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
}

function typeName(json: JsonSchemaNode): string {
  if (json.enum) return json.enum.map(value => JSON.stringify(value)).join(' | ');
  if (json.const !== undefined) return JSON.stringify(json.const);
  const alternatives = json.anyOf ?? json.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeName))].join(' | ');
  if (json.type === 'array') return `${json.items ? typeName(json.items) : 'any'}[]`;
  return (Array.isArray(json.type) ? json.type : [json.type ?? 'any']).join(' | ');
}

function leafType(schema: AnySchema, format: string | undefined): string {
  return (
    format ?? typeName(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode)
  );
}

function collect(schema: AnySchema, path: string, out: ConfigField[]): void {
  let current = schema;
  let optional = false;
  let fallback: unknown;
  const meta: ConfigFieldMeta = {};
  // Wrappers (optional, default, pipe, ...) around the field's own type; the outermost metadata wins.
  for (;;) {
    for (const [key, value] of Object.entries(metaOf(current))) {
      if (value !== undefined && meta[key as keyof ConfigFieldMeta] === undefined)
        meta[key as keyof ConfigFieldMeta] = value as string;
    }
    const def = current._zod.def as unknown as {
      type: string;
      innerType?: AnySchema;
      in?: AnySchema;
      defaultValue?: unknown;
    };
    if (def.type === 'optional' || def.type === 'nullable') optional = true;
    else if (def.type === 'default' || def.type === 'prefault') {
      optional = true;
      fallback ??= def.defaultValue;
    } else if (def.type !== 'readonly' && def.type !== 'catch' && def.type !== 'pipe') break;
    current = (def.type === 'pipe' ? def.in : def.innerType) as AnySchema;
  }
  const def = current._zod.def as unknown as {
    type: string;
    shape?: Record<string, AnySchema>;
    valueType?: AnySchema;
  };
  if (def.type === 'object' && def.shape) {
    for (const [key, field] of Object.entries(def.shape)) collect(field, path ? `${path}.${key}` : key, out);
    return;
  }
  if (def.type === 'record' && def.valueType && isStructured(def.valueType)) {
    collect(def.valueType, `${path ? `${path}.` : ''}<key>`, out);
    return;
  }
  const field: ConfigField = { path, type: leafType(current, meta.format), required: !optional };
  if (fallback !== undefined) field.default = fallback;
  if (meta.env) field.env = meta.env;
  if (meta.description) field.description = meta.description;
  out.push(field);
}

function isStructured(schema: AnySchema): boolean {
  let current = schema;
  for (;;) {
    const def = current._zod.def as unknown as { type: string; innerType?: AnySchema; in?: AnySchema };
    if (def.type === 'object') return true;
    const next = def.type === 'pipe' ? def.in : def.innerType;
    if (!next) return false;
    current = next;
  }
}

/** Every field of a config schema with its type, default, environment variable and description. */
export function configFields(schema: AnySchema): ConfigField[] {
  const fields: ConfigField[] = [];
  collect(schema, '', fields);
  return fields;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * The config reference as a Markdown table (field, type, default, environment variable,
 * description), generated from the schema so a provider's README cannot drift from its code. Columns
 * are padded the way prettier formats tables, so the README stays as generated.
 */
export function renderConfigReference(schema: AnySchema): string {
  const rows = configFields(schema).map(field => [
    `\`${field.path}\``,
    cell(field.type),
    field.default !== undefined
      ? `\`${cell(JSON.stringify(field.default))}\``
      : field.required
        ? '(required)'
        : '–',
    field.env ? `\`${field.env}\`` : '',
    cell(field.description ?? ''),
  ]);
  const header = ['field', 'type', 'default', 'env', 'description'];
  const widths = header.map((title, i) => Math.max(3, title.length, ...rows.map(row => row[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((text, i) => text.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map(width => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
