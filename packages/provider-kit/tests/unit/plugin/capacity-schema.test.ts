import { describe, expect, it } from 'vitest';

import { capacitySchema } from '../../../src/plugin/capacity-schema.js';
import { configFields } from '../../../src/plugin/config-fields.js';

describe('capacitySchema', () => {
  const schema = capacitySchema({ cpu: '20', memory: '40Gi', pods: '20' }, { pods: 'TEST_PODS' });

  it('fills defaults, canonicalises quantities and refuses what a node cannot advertise', () => {
    expect(schema.parse(undefined)).toEqual({ cpu: '20', memory: '40Gi', pods: '20' });
    expect(schema.parse({ cpu: 4, pods: '110' })).toEqual({ cpu: '4', memory: '40Gi', pods: '110' });
    expect(schema.safeParse({ cpu: '0' }).success).toBe(false);
    expect(schema.safeParse({ cpu: 'lots' }).success).toBe(false);
    expect(schema.safeParse({ gpus: '1' }).success).toBe(false);
  });

  it('names the variables given for its fields', () => {
    const fields = configFields(schema);
    expect(fields.find(field => field.path === 'pods')).toMatchObject({ env: 'TEST_PODS', default: '20' });
    expect(fields.find(field => field.path === 'cpu')?.env).toBeUndefined();
  });
});
