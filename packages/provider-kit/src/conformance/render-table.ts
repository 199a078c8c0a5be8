import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CONFORMANCE_CHECKS } from './checks/index.js';
import { STATUS_MARK } from './report.js';
import type { ConformanceReport } from './types.js';

export const TABLE_START = '<!-- conformance:start -->';
export const TABLE_END = '<!-- conformance:end -->';

/** One table for all providers: a row per check, a column per provider, totals first. */
export function renderConformanceTable(reports: readonly ConformanceReport[]): string {
  const sorted = [...reports].sort((a, b) => a.provider.localeCompare(b.provider));
  const known = CONFORMANCE_CHECKS.map(check => check.id);
  const extra = sorted.flatMap(r => r.results.map(result => result.id)).filter(id => !known.includes(id));
  const ids = [...known, ...new Set(extra)].filter(id => sorted.some(r => r.results.some(x => x.id === id)));
  const header = `| check | ${sorted.map(r => r.provider).join(' | ')} |`;
  const align = `| --- | ${sorted.map(() => '---').join(' | ')} |`;
  const totals = `| **passed / failed / n/a** | ${sorted
    .map(r => `${r.summary.passed} / ${r.summary.failed} / ${r.summary['not-applicable']}`)
    .join(' | ')} |`;
  const rows = ids.map(id => {
    const cells = sorted.map(r => {
      const result = r.results.find(x => x.id === id);
      return result ? STATUS_MARK[result.status] : '';
    });
    return `| \`${id}\` | ${cells.join(' | ')} |`;
  });
  return [header, align, totals, ...rows].join('\n');
}

export async function readReports(dir: string): Promise<ConformanceReport[]> {
  const files = (await readdir(dir)).filter(file => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async file => JSON.parse(await readFile(join(dir, file), 'utf8')) as ConformanceReport),
  );
}

/** Replaces the text between the conformance markers of `readmePath` with the table of every report. */
export async function updateReadmeTable(readmePath: string, reportsDir: string): Promise<string> {
  const readme = await readFile(readmePath, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new Error(`${readmePath} needs the markers ${TABLE_START} and ${TABLE_END}, in that order`);
  }
  const table = renderConformanceTable(await readReports(reportsDir));
  const next = `${readme.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
  if (next !== readme) await writeFile(readmePath, next);
  return table;
}
