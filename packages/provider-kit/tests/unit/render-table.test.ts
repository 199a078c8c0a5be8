import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import {
  buildReport,
  renderConformanceTable,
  updateReadmeTable,
  writeConformanceReport,
  type CheckResult,
} from '../../src/conformance/index.js';

const result = (id: string, status: CheckResult['status']): CheckResult => ({
  id,
  title: id,
  category: 'x',
  status,
  durationMs: 1,
});

describe('conformance reports', () => {
  const alpha = buildReport({ name: 'alpha', createProvider: async () => ({}) as never, capabilities: {} }, [
    result('lifecycle.create-get', 'passed'),
    result('exec.env', 'not-applicable'),
  ]);
  const beta = buildReport({ name: 'beta', createProvider: async () => ({}) as never, capabilities: {} }, [
    result('lifecycle.create-get', 'failed'),
    result('exec.env', 'passed'),
  ]);

  it('renders one column per provider and a row per check, in suite order', () => {
    const table = renderConformanceTable([beta, alpha]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('| check | alpha | beta |');
    expect(lines[2]).toBe('| **passed / failed / n/a** | 1 / 0 / 1 | 1 / 1 / 0 |');
    expect(lines[3]).toBe('| `lifecycle.create-get` | ✅ pass | ❌ fail |');
    expect(lines[4]).toBe('| `exec.env` | ➖ n/a | ✅ pass |');
  });

  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(dir => rm(dir, { recursive: true, force: true })));
  });

  it('rewrites only the text between the README markers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'conformance-'));
    dirs.push(dir);
    await writeConformanceReport(alpha, dir);
    await writeConformanceReport(beta, dir);
    expect(await readFile(join(dir, 'alpha.md'), 'utf8')).toContain('| `exec.env` | exec.env | ➖ n/a |');
    const readme = join(dir, 'README.md');
    await writeFile(
      readme,
      '# Title\n\n<!-- conformance:start -->\nstale\n<!-- conformance:end -->\n\nafter\n',
    );
    await updateReadmeTable(readme, dir);
    const text = await readFile(readme, 'utf8');
    expect(text.startsWith('# Title\n\n<!-- conformance:start -->\n\n| check | alpha | beta |')).toBe(true);
    expect(text.endsWith('<!-- conformance:end -->\n\nafter\n')).toBe(true);
    expect(text).not.toContain('stale');
    await writeFile(readme, 'no markers');
    await expect(updateReadmeTable(readme, dir)).rejects.toThrow(/needs the markers/);
  });
});
