import { afterEach, describe, expect, it } from 'vitest';

import { misplacedTests, suitesOf } from '../../src/test-suites.ts';
import { fixture } from './fixture.ts';

const made: { remove(): void }[] = [];
afterEach(() => made.splice(0).forEach(f => f.remove()));

function packageWith(files: string[]): string {
  const f = fixture(Object.fromEntries(files.map(file => [file, ''])));
  made.push(f);
  return f.dir;
}

describe('test suites', () => {
  it('finds a suite per folder that holds a test file, helpers alone make none', () => {
    const dir = packageWith([
      'tests/unit/a/x.test.ts',
      'tests/integration/y.test.ts',
      'tests/conformance/helpers.ts',
      'tests/support/fake.ts',
    ]);
    expect(suitesOf(dir, []).map(s => s.target)).toEqual(['test', 'integration']);
    expect(misplacedTests(dir, [])).toEqual([]);
  });

  it('names test files outside the suite folders', () => {
    const dir = packageWith(['tests/unit/ok.test.ts', 'tests/lost.test.ts', 'tests/other/deep.test.ts']);
    expect(misplacedTests(dir, [])).toEqual(['tests/lost.test.ts', 'tests/other/deep.test.ts']);
  });

  it('makes every test of a type:e2e package one e2e suite', () => {
    const dir = packageWith(['tests/cri/cri.test.ts', 'tests/support/node.ts']);
    expect(suitesOf(dir, ['type:e2e']).map(s => [s.target, s.dir])).toEqual([['e2e', '']]);
    expect(misplacedTests(dir, ['type:e2e'])).toEqual([]);
  });

  it('gives a package without tests no suite', () => {
    expect(suitesOf(packageWith(['src/index.ts']), [])).toEqual([]);
  });
});
