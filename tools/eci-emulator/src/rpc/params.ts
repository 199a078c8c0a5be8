import { apiErrors } from './errors.js';

/**
 * RPC parameters are flat (`Container.1.Command.2`, `Tag.3.Key`,
 * `Volume.1.ConfigFileVolume.ConfigFileToPath.2.Path`); this turns them back into a tree where a
 * numeric segment is a 1-based list index, and reads it with typed, path-naming accessors.
 */
type Tree = string | TreeList | TreeObject;
interface TreeObject {
  [name: string]: Tree;
}
type TreeList = Tree[];

interface Building {
  [name: string]: Building | string;
}

function unflatten(params: ReadonlyMap<string, string>): TreeObject {
  // Null-prototype objects: a parameter named `__proto__` or `constructor` is just a name.
  const root = Object.create(null) as Building;
  for (const [key, value] of params) {
    const segments = key.split('.');
    if (segments.some(segment => segment === '')) throw apiErrors.invalidParameter(key);
    let node = root;
    for (const [index, segment] of segments.entries()) {
      const existing = node[segment];
      if (index === segments.length - 1) {
        // `Tag.1` and `Tag.1.Key` (or a name sent twice after merging) cannot both hold a value.
        if (existing !== undefined) throw apiErrors.invalidParameter(key);
        node[segment] = value;
        break;
      }
      if (typeof existing === 'string') throw apiErrors.invalidParameter(key);
      node = existing ?? (node[segment] = Object.create(null) as Building);
    }
  }
  return toTree(root, '') as TreeObject;
}

/** Objects whose keys are all positive integers become lists, in index order (gaps closed). */
function toTree(node: Building | string, path: string): Tree {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const numeric = keys.filter(key => /^\d+$/.test(key));
  if (numeric.length > 0) {
    if (numeric.length !== keys.length || numeric.some(key => Number(key) < 1)) {
      throw apiErrors.invalidParameter(path || keys[0]!, 'List indexes start at 1.');
    }
    return numeric
      .map(Number)
      .sort((a, b) => a - b)
      .map(index => toTree(node[String(index)]!, `${path}.${index}`));
  }
  const tree = Object.create(null) as TreeObject;
  for (const key of keys) tree[key] = toTree(node[key]!, path ? `${path}.${key}` : key);
  return tree;
}

/** A node of the parameter tree, named by its path for error messages. */
export class Params {
  private constructor(
    readonly path: string,
    private readonly node: TreeObject,
  ) {}

  static fromFlat(params: ReadonlyMap<string, string>): Params {
    return new Params('', unflatten(params));
  }

  private name(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.node[key] !== undefined;
  }

  string(key: string): string | undefined {
    const value = this.node[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw apiErrors.invalidParameter(this.name(key));
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw apiErrors.missingParameter(this.name(key));
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined || value === '') return undefined;
    if (value !== 'true' && value !== 'false')
      throw apiErrors.invalidParameter(this.name(key), 'Expected true or false.');
    return value === 'true';
  }

  number(key: string, { min, max }: { min?: number; max?: number } = {}): number | undefined {
    const value = this.string(key);
    if (value === undefined || value === '') return undefined;
    const number = Number(value);
    if (
      !Number.isFinite(number) ||
      (min !== undefined && number < min) ||
      (max !== undefined && number > max)
    ) {
      const range =
        min !== undefined && max !== undefined
          ? ` Expected a number from ${min} to ${max}.`
          : min !== undefined
            ? ` Expected a number of at least ${min}.`
            : ' Expected a number.';
      throw apiErrors.invalidParameter(this.name(key), range.trim());
    }
    return number;
  }

  integer(key: string, range: { min?: number; max?: number } = {}): number | undefined {
    const value = this.number(key, range);
    if (value !== undefined && !Number.isInteger(value)) {
      throw apiErrors.invalidParameter(this.name(key), 'Expected an integer.');
    }
    return value;
  }

  /** One of `allowed`, or undefined when absent. */
  enumeration<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined || value === '') return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw apiErrors.invalidParameter(this.name(key), `Valid values: ${allowed.join(', ')}.`);
    }
    return value as T;
  }

  /** A repeated scalar (`Command.1`, `Command.2`, ...). */
  strings(key: string): string[] {
    const value = this.node[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some(item => typeof item !== 'string')) {
      throw apiErrors.invalidParameter(this.name(key));
    }
    return value as string[];
  }

  /** A nested structure (`NFSVolume.Server`), or undefined when absent. */
  object(key: string): Params | undefined {
    const value = this.node[key];
    if (value === undefined) return undefined;
    if (typeof value === 'string' || Array.isArray(value)) throw apiErrors.invalidParameter(this.name(key));
    return new Params(this.name(key), value);
  }

  /** A repeated structure (`Container.1.Name`, `Container.2.Name`, ...). */
  list(key: string, { max }: { max?: number } = {}): Params[] {
    const value = this.node[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw apiErrors.invalidParameter(this.name(key));
    if (max !== undefined && value.length > max) {
      throw apiErrors.invalidParameter(this.name(key), `At most ${max} items are allowed.`);
    }
    return value.map((item, index) => {
      if (typeof item === 'string' || Array.isArray(item)) {
        throw apiErrors.invalidParameter(`${this.name(key)}.${index + 1}`);
      }
      return new Params(`${this.name(key)}.${index + 1}`, item);
    });
  }

  /** A JSON-array-of-strings parameter (`ContainerGroupIds`, `Command` of exec). */
  jsonStrings(key: string, { max }: { max?: number } = {}): string[] | undefined {
    const value = this.string(key);
    if (value === undefined || value === '') return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw apiErrors.invalidParameter(this.name(key), 'Expected a JSON array of strings.');
    }
    if (!Array.isArray(parsed) || parsed.some(item => typeof item !== 'string')) {
      throw apiErrors.invalidParameter(this.name(key), 'Expected a JSON array of strings.');
    }
    if (max !== undefined && parsed.length > max) {
      throw apiErrors.invalidParameter(this.name(key), `At most ${max} items are allowed.`);
    }
    return parsed as string[];
  }
}
