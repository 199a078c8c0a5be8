import { describe, expect, it } from 'vitest';

import type { EciApiError } from '../../src/rpc/errors.js';
import { containersNeed, fitSpecification, groupSpecification } from '../../src/groups/specifications.js';

describe('ECI specifications', () => {
  it('round a request up to the smallest offered vCPU/memory combination', () => {
    expect(fitSpecification(0.25, 0.5)).toEqual({ cpu: 0.25, memory: 0.5 });
    expect(fitSpecification(0.3, 0.6)).toEqual({ cpu: 0.5, memory: 1 });
    expect(fitSpecification(1, 9)).toEqual({ cpu: 2, memory: 16 });
    expect(fitSpecification(7, 13)).toEqual({ cpu: 8, memory: 16 });
    expect(fitSpecification(40, 100)).toEqual({ cpu: 52, memory: 192 });
    expect(fitSpecification(65, 1)).toBeUndefined();
  });

  it('size a group by the larger of its own request and what its containers need', () => {
    const need = containersNeed([{ cpu: 0.5, memory: 1 }, { cpu: 0.5 }], [{ cpu: 2, memory: 0.5 }]);
    expect(need).toEqual({ cpu: 2, memory: 1 });
    expect(groupSpecification({}, need)).toEqual({ cpu: 2, memory: 1 });
    expect(groupSpecification({ cpu: 4 }, need)).toEqual({ cpu: 4, memory: 2 });
    expect(groupSpecification({}, { cpu: 0, memory: 0 })).toEqual({ cpu: 2, memory: 4 });
  });

  it('refuse what no specification holds, naming the parameter', () => {
    const refusal = (read: () => unknown) => {
      try {
        read();
      } catch (error) {
        return (error as EciApiError).message;
      }
      return undefined;
    };
    expect(refusal(() => groupSpecification({}, { cpu: 65, memory: 1 }))).toMatch(/"Cpu".*65 vCPUs/);
    expect(refusal(() => groupSpecification({ memory: 600 }, { cpu: 1, memory: 1 }))).toMatch(
      /"Memory".*600 GiB/,
    );
  });
});
