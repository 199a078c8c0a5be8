import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import type { ResourceLister } from '@vkubelet/provider-kit';
import { afterEach, describe, expect, it } from 'vitest';

import { prepareVolumes } from '../../src/pod/volumes.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Knows no object; `refused` names are answered with the Node authorizer's 403 instead. */
function resources(refused: string[]): ResourceLister {
  const read = async (_namespace: string, name: string) => {
    if (refused.includes(name))
      throw new Error('403 Forbidden: no relationship found between node and this object');
    return undefined;
  };
  return { getConfigMap: read, getSecret: read, listServices: async () => [] };
}

const podWith = (volumes: V1Volume[]): V1Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u' },
  spec: { containers: [], volumes },
});

describe('prepareVolumes: optional configMap and secret volumes', () => {
  it('are empty only when the object is proven absent (NotFound)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cri-volumes-'));
    dirs.push(dir);
    const pod = podWith([
      { name: 'cm', configMap: { name: 'absent', optional: true } },
      { name: 's', secret: { secretName: 'absent', optional: true } },
    ]);
    const paths = await prepareVolumes(pod, dir, resources([]));
    expect(await readdir(paths.get('s')!)).toEqual([]);
    expect(await readdir(paths.get('cm')!)).toEqual([]);
  });

  it.each([
    [{ name: 'v', secret: { secretName: 'refused', optional: true } }],
    [{ name: 'v', configMap: { name: 'refused', optional: true } }],
    [{ name: 'v', projected: { sources: [{ secret: { name: 'refused', optional: true } }] } }],
  ])(
    'fail on any other read error, so the pod is retried rather than started without it (%#)',
    async volume => {
      const dir = await mkdtemp(join(tmpdir(), 'cri-volumes-'));
      dirs.push(dir);
      await expect(prepareVolumes(podWith([volume]), dir, resources(['refused']))).rejects.toThrow(/403/);
    },
  );
});
