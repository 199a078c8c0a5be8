import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { repoRoot } from '../../src/paths.js';
import { PROVIDERS } from '../../src/providers/index.js';
import { tryItText } from '../../src/try-it.js';

/** The README's "Try it" commands per provider: the sh block after the paragraph naming `--provider <name>`. */
function readmeTryIt(): Map<string, string[]> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('### Try it'),
    readme.indexOf('\n## ', readme.indexOf('### Try it')),
  );
  const blocks = new Map<string, string[]>();
  for (const match of section.matchAll(/^`--provider (\w+)`[\s\S]*?```sh\n([\s\S]*?)```/gm)) {
    blocks.set(match[1]!, match[2]!.trim().split('\n'));
  }
  return blocks;
}

describe('try-it commands', () => {
  it('are the same in the README as in each provider entry (the e2e test runs the entries)', () => {
    const readme = readmeTryIt();
    expect([...readme.keys()].sort()).toEqual(PROVIDERS.map(entry => entry.name).sort());
    for (const entry of PROVIDERS) expect(readme.get(entry.name), entry.name).toEqual(entry.tryIt);
  });

  it('are printed with the exports that point a shell at the stack', () => {
    const [mock] = PROVIDERS;
    const text = tryItText({
      name: 'demo',
      kubeconfig: '/s/demo/kubeconfig',
      kubectlPath: '/cache/k8s/v1/kubectl',
      logsDir: '/s/demo/logs',
      provider: mock!,
    });
    const lines = text.split('\n');
    expect(lines).toContain('  export KUBECONFIG=/s/demo/kubeconfig');
    expect(lines).toContain('  export PATH=/cache/k8s/v1:$PATH   # kubectl');
    for (const command of mock!.tryIt) expect(lines).toContain(`  ${command}`);
    expect(text).toContain('vkubelet-stack stop demo');
  });
});
