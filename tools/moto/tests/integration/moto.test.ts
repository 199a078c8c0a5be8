import { describe, expect, it } from 'vitest';

import { startMoto } from '../../src/index.js';

describe('startMoto', () => {
  it('starts a server that answers AWS JSON calls and stops it', async () => {
    const moto = await startMoto();
    try {
      const response = await fetch(moto.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters',
          authorization:
            'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=x',
        },
        body: '{}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ clusterArns: [] });
      await moto.setTransition('ecs::task', { progression: 'manual', times: 1000 });
      const subnets = await moto.defaultSubnets('eu-west-1');
      expect(subnets.length).toBeGreaterThan(0);
      expect(subnets.every(id => id.startsWith('subnet-'))).toBe(true);
      await moto.createLogGroup('eu-west-1', '/vk/test');
      const groups = await fetch(moto.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'Logs_20140328.DescribeLogGroups',
          authorization:
            'AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/logs/aws4_request, SignedHeaders=host, Signature=x',
        },
        body: '{}',
      });
      const { logGroups } = (await groups.json()) as { logGroups: { logGroupName: string }[] };
      expect(logGroups.map(group => group.logGroupName)).toEqual(['/vk/test']);
    } finally {
      await moto.stop();
    }
    await expect(fetch(moto.endpoint)).rejects.toThrow();
  });

  it('names the missing executable and the setup script when moto is absent', async () => {
    await expect(startMoto({ executable: '/nonexistent/moto_server' })).rejects.toThrow(
      /moto is not installed.*\/nonexistent\/moto_server.*setup\.d\/moto\.sh/,
    );
  });
});
