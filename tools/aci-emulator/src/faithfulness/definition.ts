import * as containerInstance from '@azure/arm-containerinstance';
import * as mappers from '@azure/arm-containerinstance/dist-esm/src/models/mappers.js';
import type { CompositeMapper, Mapper } from '@azure/core-client';

import { readDeclaredModels, type DeclaredModel, type DeclaredProperty } from './declarations.js';

/** Where a body goes: what a client sends, or what the service answers. */
export type Direction = 'request' | 'response';

export interface Violation {
  /** JSON path of the offending value, e.g. `properties.containers[0].properties.image`. */
  path: string;
  kind:
    'missing-required' | 'wrong-type' | 'unknown-property' | 'read-only-in-request' | 'unknown-enum-value';
  message: string;
}

type KeyTree = Map<string, KeyTree | null>;

const knownEnums = containerInstance as unknown as Record<string, Record<string, string> | undefined>;
const allMappers = mappers as unknown as Record<string, CompositeMapper | undefined>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ARM's serialized names are dotted paths for flattened properties (`properties.containers`). */
function segments(serializedName: string): string[] {
  return serializedName.split(/(?<!\\)\./).map(part => part.replaceAll('\\.', '.'));
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Microsoft.ContainerInstance 2023-05-01 as the installed `@azure/arm-containerinstance` carries it:
 * the serialization mappers generated from the OpenAPI definition (serialized names, types,
 * read-only and required flags) completed by the generated declarations (required composites,
 * extensible enums and their `Known*` values). `check` walks a wire-format JSON body against a
 * model and lists everything Azure's definition would not have there.
 */
export class ContainerInstanceDefinition {
  private static loaded: ContainerInstanceDefinition | undefined;
  private readonly declared: Map<string, DeclaredModel>;

  private constructor() {
    this.declared = readDeclaredModels();
  }

  static load(): ContainerInstanceDefinition {
    ContainerInstanceDefinition.loaded ??= new ContainerInstanceDefinition();
    return ContainerInstanceDefinition.loaded;
  }

  /** Model names of the definition (`ContainerGroup`, `Logs`, ...). */
  modelNames(): string[] {
    return Object.keys(allMappers).filter(name => allMappers[name]?.type.name === 'Composite');
  }

  /** A model's properties by their client-side names (the mapper's keys, the declarations' names). */
  properties(model: string): string[] {
    return Object.keys(allMappers[model]?.type.modelProperties ?? {});
  }

  /** True when the declaration file has an interface for the model. */
  declares(model: string): boolean {
    return this.declared.has(model);
  }

  check(model: string, body: unknown, direction: Direction): Violation[] {
    const out: Violation[] = [];
    this.composite(model, body, '', direction, out);
    return out;
  }

  /**
   * The body as the service takes it: what the definition does not know, and read-only properties,
   * are dropped (ARM ignores them in a request and never echoes them back).
   */
  prune(model: string, body: unknown): unknown {
    if (!isObject(body)) return body;
    const out: Record<string, unknown> = {};
    for (const [property, mapper] of Object.entries(allMappers[model]?.type.modelProperties ?? {})) {
      if (mapper.readOnly === true || this.declaredProperty(model, property)?.readonly === true) continue;
      const names = segments(mapper.serializedName ?? property);
      const value = names.reduce<unknown>(
        (current, name) => (isObject(current) ? current[name] : undefined),
        body,
      );
      if (value === undefined) continue;
      let target = out;
      for (const name of names.slice(0, -1)) target = (target[name] ??= {}) as Record<string, unknown>;
      target[names.at(-1)!] = this.pruneValue(mapper, value);
    }
    return out;
  }

  private pruneValue(mapper: Mapper, value: unknown): unknown {
    const type = mapper.type;
    if (type.name === 'Composite') return this.prune(type.className ?? '', value);
    if (type.name === 'Sequence' && Array.isArray(value))
      return value.map(item => this.pruneValue(type.element, item));
    if (type.name === 'Dictionary' && isObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.pruneValue(type.value, item)]),
      );
    }
    return value;
  }

  /** The declared property of a model, following `extends`. */
  declaredProperty(model: string, property: string): DeclaredProperty | undefined {
    const declaration = this.declared.get(model);
    if (!declaration) return undefined;
    return (
      declaration.properties.get(property) ??
      declaration.extends.map(parent => this.declaredProperty(parent, property)).find(Boolean)
    );
  }

  /** The `Known*` values of an extensible enum property, when the definition has one. */
  knownValues(model: string, property: string): string[] | undefined {
    const type = this.declaredProperty(model, property)?.type;
    const known = type ? knownEnums[`Known${type}`] : undefined;
    return known ? Object.values(known) : undefined;
  }

  private composite(
    model: string,
    value: unknown,
    path: string,
    direction: Direction,
    out: Violation[],
  ): void {
    const mapper = allMappers[model];
    if (!mapper) throw new Error(`no model ${model} in Microsoft.ContainerInstance`);
    if (!isObject(value)) {
      out.push({ path, kind: 'wrong-type', message: `expected an object (${model})` });
      return;
    }
    const tree: KeyTree = new Map();
    for (const [property, propertyMapper] of Object.entries(mapper.type.modelProperties ?? {})) {
      const names = segments(propertyMapper.serializedName ?? property);
      let node = tree;
      names.forEach((name, index) => {
        if (index === names.length - 1) node.set(name, null);
        else {
          const next = (node.get(name) as KeyTree | undefined) ?? new Map();
          node.set(name, next);
          node = next;
        }
      });
      const at = names.reduce<unknown>(
        (current, name) => (isObject(current) ? current[name] : undefined),
        value,
      );
      const propertyPath = names.reduce(join, path);
      const declared = this.declaredProperty(model, property);
      const readOnly = propertyMapper.readOnly === true || declared?.readonly === true;
      if (at === undefined || at === null) {
        const required = propertyMapper.required === true || declared?.optional === false;
        if (required && !readOnly) {
          out.push({
            path: propertyPath,
            kind: 'missing-required',
            message: `required property '${names.at(-1)}' is missing`,
          });
        }
        continue;
      }
      if (readOnly && direction === 'request') {
        out.push({
          path: propertyPath,
          kind: 'read-only-in-request',
          message: `read-only property '${names.at(-1)}' sent`,
        });
      }
      this.value(propertyMapper, at, propertyPath, direction, out, this.knownValues(model, property));
    }
    this.unknownKeys(value, tree, path, out, model);
  }

  private value(
    mapper: Mapper,
    value: unknown,
    path: string,
    direction: Direction,
    out: Violation[],
    known?: string[],
  ): void {
    const type = mapper.type;
    const wrong = (expected: string): void => {
      out.push({ path, kind: 'wrong-type', message: `expected ${expected}, got ${JSON.stringify(value)}` });
    };
    switch (type.name) {
      case 'String':
        if (typeof value !== 'string') return wrong('a string');
        if (known && !known.includes(value)) {
          out.push({
            path,
            kind: 'unknown-enum-value',
            message: `'${value}' is not one of ${known.join(', ')}`,
          });
        }
        return;
      case 'Number':
        if (typeof value !== 'number' || !Number.isFinite(value)) wrong('a number');
        return;
      case 'Boolean':
        if (typeof value !== 'boolean') wrong('a boolean');
        return;
      case 'DateTime':
        if (typeof value !== 'string' || !RFC3339.test(value)) wrong('an RFC 3339 date-time');
        return;
      case 'Enum':
        if (!type.allowedValues.includes(value)) wrong(`one of ${type.allowedValues.join(', ')}`);
        return;
      case 'Sequence':
        if (!Array.isArray(value)) return wrong('an array');
        value.forEach((item, index) => this.value(type.element, item, join(path, index), direction, out));
        return;
      case 'Dictionary':
        if (!isObject(value)) return wrong('an object');
        for (const [key, item] of Object.entries(value))
          this.value(type.value, item, join(path, key), direction, out);
        return;
      case 'Composite':
        this.composite(type.className ?? '', value, path, direction, out);
        return;
      default:
        // Object (free-form `any`) and the types this definition does not use accept anything.
        return;
    }
  }

  private unknownKeys(
    value: Record<string, unknown>,
    tree: KeyTree,
    path: string,
    out: Violation[],
    model: string,
  ): void {
    for (const [key, item] of Object.entries(value)) {
      if (!tree.has(key)) {
        out.push({
          path: join(path, key),
          kind: 'unknown-property',
          message: `'${key}' is not a property of ${model}`,
        });
        continue;
      }
      const subtree = tree.get(key);
      if (subtree && isObject(item)) this.unknownKeys(item, subtree, join(path, key), out, model);
    }
  }
}
