import { readFile } from 'node:fs/promises';

import type { z } from 'zod';

import { InvalidInputError } from '../errdefs/index.js';
import { configFields, type ConfigField } from './config-fields.js';
import { errorMessage } from '../errdefs/error-message.js';

/** Where a provider's configuration comes from. */
export interface ConfigSources {
  /** `--provider-config`: a YAML or JSON file. Without it the config is the environment and defaults. */
  configPath?: string | undefined;
  /** Environment variables for fields whose schema names one (default: `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

type Path = readonly PropertyKey[];

const fileLabel = (path: string | undefined): string =>
  path === undefined ? '--provider-config (none given)' : `--provider-config ${path}`;

/** The first line of a parser's message (YAML errors append a code frame). */
const firstLine = (error: unknown): string => errorMessage(error).split('\n')[0]!;

async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`${fileLabel(path)}: cannot read it: ${firstLine(error)}`, { cause: error });
  }
  // Loaded only for a config file: yaml costs every agent ~13 MB of RSS otherwise.
  const { parse: parseYaml } = await import('yaml');
  try {
    // JSON is YAML too; an empty file is an empty config.
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new InvalidInputError(`${fileLabel(path)}: not valid YAML or JSON: ${firstLine(error)}`, {
      cause: error,
    });
  }
}

function valueFromEnv(field: ConfigField, text: string): unknown {
  if (field.type === 'number' || field.type === 'integer') {
    const number = Number(text);
    return text.trim() === '' || Number.isNaN(number) ? text : number;
  }
  if (field.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (field.type.endsWith('[]'))
    return text
      .split(',')
      .map(item => item.trim())
      .filter(item => item.length > 0);
  return text;
}

function getAt(document: unknown, path: Path): unknown {
  let current = document;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function setAt(document: Record<string, unknown>, path: Path, value: unknown): void {
  let current = document;
  for (const key of path.slice(0, -1)) {
    const next = current[key as string];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) current[key as string] = {};
    current = current[key as string] as Record<string, unknown>;
  }
  current[path.at(-1) as string] = value;
}

/** Fills fields the file leaves out from the environment; returns which variable set which path. */
function applyEnvironment(
  schema: z.core.$ZodType,
  document: unknown,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, string> {
  const fromEnv = new Map<string, string>();
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return fromEnv;
  for (const field of configFields(schema)) {
    if (!field.env || field.path.includes('<')) continue;
    const text = env[field.env];
    const path = field.path.split('.');
    if (text === undefined || text === '' || getAt(document, path) !== undefined) continue;
    setAt(document as Record<string, unknown>, path, valueFromEnv(field, text));
    fromEnv.set(field.path, field.env);
  }
  return fromEnv;
}

/** A zod issue as `path: problem`, in words a user of the file understands. */
function describeIssue(issue: z.core.$ZodIssue): { path: string; problem: string } {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map(key => (path ? `${path}.${key}` : key));
    return { path: keys.join(', '), problem: `unknown field${keys.length > 1 ? 's' : ''}` };
  }
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && input === undefined) return { path, problem: 'required' };
  let problem = issue.message.replace(/^Invalid (input|option): /, '');
  if (issue.code === 'invalid_type' && input !== null && typeof input !== 'object')
    problem = `${problem} (${JSON.stringify(input)})`;
  return { path, problem };
}

/**
 * Validates a config document and returns its parsed value; on failure throws an InvalidInputError
 * whose message is one line: each problem as `<source>: <field>: <problem>`, where the source is the
 * file or the environment variable the field came from.
 */
export function validateConfig<Schema extends z.ZodType>(
  schema: Schema,
  document: unknown,
  source: string,
  fromEnv: ReadonlyMap<string, string> = new Map(),
): z.output<Schema> {
  const result = schema.safeParse(document, { reportInput: true });
  if (result.success) return result.data;
  const envOf = new Map(
    configFields(schema).flatMap(field => (field.env ? [[field.path, field.env] as const] : [])),
  );
  const bySource = new Map<string, string[]>();
  for (const issue of result.error.issues) {
    const described = describeIssue(issue);
    const { path } = described;
    // A missing value may come from a variable as well as the file: say which.
    const variable = described.problem === 'required' ? envOf.get(path) : undefined;
    const problem = variable ? `required (or set ${variable})` : described.problem;
    const origin = fromEnv.get(path) ?? source;
    bySource.set(origin, [...(bySource.get(origin) ?? []), `${path || '(the whole file)'}: ${problem}`]);
  }
  const message = [...bySource].map(([origin, problems]) => `${origin}: ${problems.join('; ')}`).join('; ');
  throw new InvalidInputError(message);
}

/**
 * Reads a provider's config: the `--provider-config` file (YAML or JSON), then, for fields the file
 * leaves out, the environment variables the schema names, then the schema's defaults. Every problem
 * is an InvalidInputError with a one-line message naming the file or variable, the field and what is
 * wrong, e.g. `--provider-config /x.yaml: capacity.cpu: expected a quantity, got "lots"`.
 */
export async function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  sources: ConfigSources = {},
): Promise<z.output<Schema>> {
  const document = sources.configPath === undefined ? {} : await readDocument(sources.configPath);
  const fromEnv = applyEnvironment(schema, document, sources.env ?? process.env);
  return validateConfig(schema, document, fileLabel(sources.configPath), fromEnv);
}
