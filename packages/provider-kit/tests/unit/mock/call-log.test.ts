import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { MockProvider } from '../../../src/mock/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('mock call log', () => {
  it('records create, first Running and delete per pod as JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-call-log-'));
    dirs.push(dir);
    const path = join(dir, 'calls.jsonl');
    const provider = new MockProvider({ callLog: path, startupDelayMs: 0 });
    const signal = new AbortController().signal;
    const pod = {
      metadata: { namespace: 'ns', name: 'p', uid: 'u1' },
      spec: { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'] }] },
    };
    const before = Date.now();
    await provider.createPod(pod, { signal });
    for (let i = 0; i < 50 && (await provider.getPodStatus('ns', 'p', { signal })).phase !== 'Running'; i++) {
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    await provider.deletePod(pod, { signal });
    await provider.close();
    const entries = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map(line => JSON.parse(line) as { t: number; op: string; pod: string });
    expect(entries.map(e => e.op)).toEqual(['createPod', 'running', 'deletePod']);
    expect(entries.every(e => e.pod === 'ns/p' && e.t >= before)).toBe(true);
  });
});
