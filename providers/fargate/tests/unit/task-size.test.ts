import { describe, expect, it } from 'vitest';

import { containerSize } from '../../src/task-definition.js';
import { FARGATE_TASK_SIZES, fargateTaskSize, MAX_TASK_SIZE } from '../../src/task-size.js';

describe('fargateTaskSize', () => {
  it.each([
    [
      { cpu: 0, memory: 0 },
      { cpu: 256, memory: 512 },
    ],
    [
      { cpu: 256, memory: 512 },
      { cpu: 256, memory: 512 },
    ],
    [
      { cpu: 100, memory: 513 },
      { cpu: 256, memory: 1024 },
    ],
    [
      { cpu: 256, memory: 3072 },
      { cpu: 512, memory: 3072 },
    ],
    [
      { cpu: 257, memory: 100 },
      { cpu: 512, memory: 1024 },
    ],
    [
      { cpu: 1024, memory: 9 * 1024 },
      { cpu: 2048, memory: 9 * 1024 },
    ],
    [
      { cpu: 4096, memory: 30720 },
      { cpu: 4096, memory: 30720 },
    ],
    // Beyond the old Go table (which refused these): the 8 and 16 vCPU rows.
    [
      { cpu: 4097, memory: 30720 },
      { cpu: 8192, memory: 32768 },
    ],
    [
      { cpu: 4096, memory: 30721 },
      { cpu: 8192, memory: 32768 },
    ],
    [
      { cpu: 8192, memory: 61 * 1024 },
      { cpu: 16384, memory: 64 * 1024 },
    ],
    [
      { cpu: 16384, memory: 120 * 1024 },
      { cpu: 16384, memory: 120 * 1024 },
    ],
  ])('%o → %o', (required, expected) => {
    expect(fargateTaskSize(required)).toEqual(expected);
  });

  it.each([
    { cpu: 16385, memory: 0 },
    { cpu: 0, memory: 120 * 1024 + 1 },
  ])('has no size for %o', required => {
    expect(fargateTaskSize(required)).toBeUndefined();
  });

  it('lists only sizes AWS offers, ascending, with the maximum last', () => {
    const cpus = FARGATE_TASK_SIZES.map(row => row.cpu);
    expect(cpus).toEqual([256, 512, 1024, 2048, 4096, 8192, 16384]);
    for (const row of FARGATE_TASK_SIZES) {
      expect([...row.memories].sort((a, b) => a - b)).toEqual(row.memories);
      // memory is between 2x and 8x the vCPUs (in GiB) for every size except 0.25 vCPU's 512 MiB
      for (const memory of row.memories) {
        expect(memory).toBeGreaterThanOrEqual(row.cpu === 256 ? 512 : (row.cpu / 1024) * 2 * 1024);
        expect(memory).toBeLessThanOrEqual((row.cpu / 1024) * 8 * 1024);
      }
    }
    const last = FARGATE_TASK_SIZES.at(-1);
    expect({ cpu: last?.cpu, memory: last?.memories.at(-1) }).toEqual(MAX_TASK_SIZE);
  });

  it('always returns a size at least as large as asked', () => {
    for (let cpu = 0; cpu <= 16384; cpu += 509) {
      for (let memory = 0; memory <= 120 * 1024; memory += 3001) {
        const size = fargateTaskSize({ cpu, memory });
        expect(size, `${cpu}/${memory}`).toBeDefined();
        expect(size!.cpu).toBeGreaterThanOrEqual(cpu);
        expect(size!.memory).toBeGreaterThanOrEqual(memory);
      }
    }
  });
});

describe('containerSize', () => {
  it.each([
    [undefined, { cpu: 0, memory: 0 }],
    [{ requests: { cpu: '100m' } }, { cpu: 103 }],
    [{ requests: { cpu: '200m', memory: '300Mi' } }, { cpu: 205, memory: 300 }],
    [{ requests: { cpu: '1500m', memory: '1000Mi' } }, { cpu: 1536, memory: 1000 }],
    [{ requests: { cpu: '250m', memory: '1025Ki' } }, { cpu: 256, memory: 2 }],
    [{ requests: { cpu: '1', memory: '1.5Gi' } }, { cpu: 1024, memory: 1536 }],
    // The limit wins over the request: the task must fit what a container may use.
    [
      { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '4Gi' } },
      { cpu: 2048, memory: 4096 },
    ],
  ])('%o → %o', (resources, expected) => {
    expect(containerSize(resources)).toMatchObject(expected);
  });

  it('names the field of an invalid quantity', () => {
    expect(() => containerSize({ limits: { memory: 'lots' } }, 'spec.containers[0]')).toThrow(
      'spec.containers[0].resources.limits.memory: invalid quantity "lots"',
    );
  });
});
