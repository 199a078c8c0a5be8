import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { CheckStatus, ConformanceReport } from './types.js';

export const STATUS_MARK: Record<CheckStatus, string> = {
  passed: '✅ pass',
  failed: '❌ fail',
  'not-applicable': '➖ n/a',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The per-provider markdown table, `conformance-reports/<provider>.md`. */
export function renderProviderMarkdown(report: ConformanceReport): string {
  const { passed, failed } = report.summary;
  const rows = report.results.map(
    r =>
      `| \`${r.id}\` | ${cell(r.title)} | ${STATUS_MARK[r.status]} | ${r.durationMs} | ${cell(r.detail ?? '')} |`,
  );
  return [
    `# Conformance: ${report.provider}`,
    '',
    `${passed} passed, ${failed} failed, ${report.summary['not-applicable']} not applicable (${report.generatedAt}).`,
    '',
    '| check | what | result | ms | detail |',
    '| --- | --- | --- | ---: | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** Writes `<dir>/<provider>.json` and `<dir>/<provider>.md`. */
export async function writeConformanceReport(report: ConformanceReport, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.provider}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, `${report.provider}.md`), renderProviderMarkdown(report));
}
