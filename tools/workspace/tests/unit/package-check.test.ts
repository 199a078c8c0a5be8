import { describe, expect, it } from 'vitest';

import type { Manifest } from '../../src/manifest.ts';
import { parsePackOutput, policyProblems } from '../../src/package-check.ts';

const good: Manifest = {
  name: '@vkubelet/x',
  version: '1.0.0',
  description: 'x',
  license: 'Apache-2.0',
  repository: { type: 'git', url: 'git+https://example.invalid/x.git' },
  homepage: 'https://example.invalid/x',
  bugs: { url: 'https://example.invalid/x/issues' },
  engines: { node: '>=22.12.0' },
  publishConfig: { access: 'public', provenance: true },
  scripts: { prepack: 'tsc -b tsconfig.lib.json' },
  exports: {
    '.': { '@vkubelet/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
  },
  bin: { x: './bin/x.js' },
  dependencies: { '@vkubelet/core': '^1.0.0', zod: '*' },
};
const files = [
  'LICENSE',
  'README.md',
  'package.json',
  'bin/x.js',
  'dist/index.js',
  'dist/index.d.ts',
  'dist/index.js.map',
  'src/index.ts',
];
const texts: Record<string, string> = {
  LICENSE:
    '                                 Apache License\n                           Version 2.0, January 2004\n',
  'dist/index.js.map': JSON.stringify({ sources: ['../src/index.ts'] }),
};
const read = (path: string) => texts[path] ?? '';
const workspace = new Set(['@vkubelet/core', '@vkubelet/x']);

describe('packaging rules', () => {
  it('accept a complete package', () => {
    expect(policyProblems(good, files, read, workspace)).toEqual([]);
  });

  it('name what is missing or wrong', () => {
    const bad: Manifest = {
      ...good,
      repository: undefined,
      publishConfig: { access: 'public' },
      scripts: {},
      dependencies: { '@vkubelet/core': '*' },
    };
    const packed = files.filter(f => f !== 'LICENSE' && f !== 'src/index.ts' && f !== 'bin/x.js');
    expect(policyProblems(bad, [...packed, 'dist/x.tsbuildinfo'], read, workspace)).toEqual([
      'LICENSE is not in the package',
      'package.json has no "repository"',
      'publishConfig.provenance is not true',
      'no prepack script: `npm publish` would not build the package',
      './bin/x.js (exports/bin) is not in the package',
      'dist/x.tsbuildinfo is packed but is not part of the package',
      '1 source map entries point at files not in the package (ship them or no maps), e.g. dist/index.js.map → src/index.ts',
      'dependencies.@vkubelet/core is "*": use a caret range (^x.y.z) between workspace packages',
    ]);
  });

  it('read npm pack --json after what prepack printed', () => {
    const stdout = '\n> x@1.0.0 prepack\n> tsc -b\n\n[\n  {"name": "x", "files": []}\n]\n';
    expect(parsePackOutput(stdout)).toMatchObject({ name: 'x' });
    expect(() => parsePackOutput('nothing')).toThrow(/no JSON/);
  });
});
