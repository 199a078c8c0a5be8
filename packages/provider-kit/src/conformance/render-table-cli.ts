#!/usr/bin/env node
/**
 * `vkubelet-conformance-table [--reports <dir>] [--readme <file>]`: regenerates the conformance
 * table between the markers of the README from every `<provider>.json` report, then formats the
 * README with the repository's prettier (when installed) so `prettier --check` stays clean.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { updateReadmeTable } from './render-table.js';
import { errorMessage } from '../errdefs/error-message.js';

interface PrettierLike {
  resolveConfig(file: string): Promise<Record<string, unknown> | null>;
  format(text: string, options: Record<string, unknown>): Promise<string>;
}

async function formatWithPrettier(file: string): Promise<boolean> {
  let prettier: PrettierLike;
  try {
    prettier = await import('prettier');
  } catch {
    return false; // optional: without prettier the table is still valid markdown
  }
  const text = await readFile(file, 'utf8');
  const config = (await prettier.resolveConfig(file)) ?? {};
  const formatted = await prettier.format(text, { ...config, filepath: file });
  if (formatted !== text) await writeFile(file, formatted);
  return true;
}

const { values } = parseArgs({
  options: {
    reports: { type: 'string', default: 'conformance-reports' },
    readme: { type: 'string', default: 'README.md' },
  },
});

try {
  await updateReadmeTable(values.readme, values.reports);
  const formatted = await formatWithPrettier(values.readme);
  process.stdout.write(
    `updated the conformance table in ${values.readme} from ${values.reports}${formatted ? ' (prettier)' : ''}\n`,
  );
} catch (err) {
  process.stderr.write(`vkubelet-conformance-table: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
