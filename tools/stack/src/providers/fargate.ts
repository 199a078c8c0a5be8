import { startMoto } from '@vkubelet/moto';

import type { ProviderEntry } from './entry.js';

const REGION = 'us-east-1';
const CLUSTER = 'vkubelet';
const LOG_GROUP = '/vkubelet/local';

/** moto's ECS and CloudWatch Logs: tasks are recorded and reported Running, but no container runs. */
export const fargate: ProviderEntry = {
  name: 'fargate',
  runsOn: "moto's ECS and CloudWatch Logs (tasks are recorded, no container runs)",
  async startBackend(context) {
    context.progress('starting moto (ECS, EC2, CloudWatch Logs)');
    const moto = await startMoto();
    try {
      // By default moto's tasks stop on their own after a few DescribeTasks calls.
      await moto.setTransition('ecs::task', { progression: 'manual', times: 1_000_000_000 });
      const [subnets] = await Promise.all([
        moto.defaultSubnets(REGION),
        moto.createLogGroup(REGION, LOG_GROUP),
      ]);
      return {
        providerConfig: {
          cluster: CLUSTER,
          createCluster: true,
          region: REGION,
          endpoint: moto.endpoint,
          subnets,
          logGroup: LOG_GROUP,
          executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecution',
          statusIntervalMs: 1_000,
        },
        // The provider reads credentials from the standard chain, as on a real node.
        env: {
          AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
          AWS_REGION: REGION,
        },
        stop: () => moto.stop(),
      };
    } catch (error) {
      await moto.stop();
      throw error;
    }
  },
  tryIt: [
    "kubectl run demo --image=public.ecr.aws/docker/library/busybox:1.36 -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl get pod demo -o wide',
    'kubectl logs demo',
  ],
  notes: [
    `each pod is an ECS task in cluster ${CLUSTER} (${REGION}); its logs come from CloudWatch group ${LOG_GROUP}`,
    'moto runs no containers: logs stay empty, kubectl top has no figures, and exec is refused (ECS offers it only through SSM)',
  ],
};
