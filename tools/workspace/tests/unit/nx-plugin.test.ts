import { afterEach, describe, expect, it } from 'vitest';

import { createNodes, targetsFor } from '../../src/nx-plugin.ts';
import { fixture, json } from './fixture.ts';

const made: { remove(): void }[] = [];
afterEach(() => made.splice(0).forEach(f => f.remove()));

function workspace(files: Record<string, string>): string {
  const f = fixture({ 'package.json': json({ name: 'root', workspaces: ['packages/*', 'e2e'] }), ...files });
  made.push(f);
  return f.dir;
}

const exportsField = {
  '.': { types: './dist/index.d.ts', default: './dist/index.js' },
  './package.json': './package.json',
};

describe('the Nx plugin', () => {
  it('infers a target per test suite folder, run by vitest in the package with a JSON report', () => {
    const root = workspace({
      'packages/a/package.json': json({ name: '@x/a', private: true }),
      'packages/a/vitest.config.ts': '',
      'packages/a/tests/unit/u.test.ts': '',
      'packages/a/tests/e2e/e.test.ts': '',
    });
    const targets = targetsFor(root, 'packages/a');
    expect(Object.keys(targets)).toEqual(['test', 'e2e']);
    expect(targets['test']).toMatchObject({
      command:
        'vitest run tests/unit/ --reporter=default --reporter=json --outputFile.json=test-results/vitest-test.json',
      options: { cwd: 'packages/a' },
      outputs: ['{projectRoot}/test-results/vitest-test.json'],
    });
    expect(targets['e2e']?.command).toContain('vitest run tests/e2e/ ');
  });

  it('runs all tests of a type:e2e package as its e2e target', () => {
    const root = workspace({
      'e2e/package.json': json({ name: '@x/e2e', private: true, nx: { tags: ['type:e2e'] } }),
      'e2e/vitest.config.ts': '',
      'e2e/tests/cri/cri.test.ts': '',
    });
    expect(targetsFor(root, 'e2e')['e2e']?.command).toMatch(/^vitest run --reporter/);
  });

  it('checks the API report and the tarball of published packages only', () => {
    const root = workspace({
      'packages/pub/package.json': json({ name: '@x/pub', exports: exportsField }),
      'packages/priv/package.json': json({ name: '@x/priv', private: true, exports: exportsField }),
    });
    expect(Object.keys(targetsFor(root, 'packages/pub'))).toEqual(['api-report', 'package-check']);
    expect(targetsFor(root, 'packages/pub')['api-report']?.configurations?.['update']?.command).toBe(
      'node tools/workspace/src/api-report.ts packages/pub --update',
    );
    expect(targetsFor(root, 'packages/priv')).toEqual({});
  });

  it('creates nodes only for workspace packages, not for package.json files elsewhere', async () => {
    const root = workspace({
      'packages/a/package.json': json({ name: '@x/a', exports: exportsField }),
      'packages/a/tests/fixtures/fake/package.json': json({ name: 'fake', exports: exportsField }),
    });
    const [, create] = createNodes;
    const results = await create(
      ['package.json', 'packages/a/package.json', 'packages/a/tests/fixtures/fake/package.json'],
      undefined,
      { workspaceRoot: root, nxJsonConfiguration: {} },
    );
    expect(results.map(([file]) => file)).toEqual(['packages/a/package.json']);
  });
});
