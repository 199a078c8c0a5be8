import { KubeconfigError } from './errors.js';

/**
 * Typed reads of one mapping of a parsed kubeconfig; errors name the file and the field path, e.g.
 * `kubeconfig /x: users[name=u].user.token must be a string`.
 */
export class Fields {
  private readonly values: Record<string, unknown>;
  private readonly file: string;
  private readonly path: string;

  constructor(value: unknown, file: string, path: string) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new KubeconfigError(`kubeconfig ${file}: ${path || 'the document'} must be a mapping`);
    }
    this.values = value as Record<string, unknown>;
    this.file = file;
    this.path = path;
  }

  /** `kubeconfig <file>: <path>.<name>`, for messages. */
  where(name?: string): string {
    return `kubeconfig ${this.file}: ${name === undefined ? this.path : this.fieldPath(name)}`;
  }

  private fieldPath(name: string): string {
    return this.path ? `${this.path}.${name}` : name;
  }

  has(name: string): boolean {
    const value = this.values[name];
    return value !== undefined && value !== null && value !== '';
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new KubeconfigError(`${this.where(name)} must be a string`);
    return value;
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw new KubeconfigError(`${this.where(name)} is missing`);
    return value;
  }

  boolean(name: string): boolean {
    const value = this.values[name];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw new KubeconfigError(`${this.where(name)} must be true or false`);
    return value;
  }

  /** A base64 `*-data` field, decoded. */
  base64(name: string): string | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const compact = value.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new KubeconfigError(`${this.where(name)} is not valid base64`);
    }
    return Buffer.from(compact, 'base64').toString('utf8');
  }

  /** A list of mappings (missing = empty). */
  list(name: string): Fields[] {
    const value = this.values[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new KubeconfigError(`${this.where(name)} must be a list`);
    return value.map((item, index) => new Fields(item, this.file, `${this.fieldPath(name)}[${index}]`));
  }

  /** A nested mapping, if present. */
  mapping(name: string): Fields | undefined {
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    return new Fields(value, this.file, this.fieldPath(name));
  }

  /** The raw value, for pass-through data (exec plugin cluster config). */
  raw(name: string): unknown {
    return this.values[name];
  }
}
