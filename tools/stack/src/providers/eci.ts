import type { ProviderEntry } from './entry.js';
import { startEmulatorCli } from './emulator-cli.js';

/** What tools/eci-emulator's CLI prints. */
interface EciConnection {
  endpoint: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/** The emulator accepts any network IDs when it is not given a list; these name what they stand for. */
const SECURITY_GROUP = 'sg-vkubelet-local';
const VSWITCH = 'vsw-vkubelet-local';

/** The ECI API emulator (tools/eci-emulator): container groups run on the mock's process model. */
export const eci: ProviderEntry = {
  name: 'eci',
  runsOn: 'the ECI API emulator (tools/eci-emulator; containers run a small built-in shell)',
  async startBackend(context) {
    context.progress('starting the ECI emulator');
    const emulator = await startEmulatorCli<EciConnection>(
      context,
      'eci-emulator',
      'tools/eci-emulator/dist/cli.js',
    );
    const { endpoint, regionId, accessKeyId, accessKeySecret } = emulator.connection;
    return {
      // providers/eci's config schema; the key goes through the environment, as on a real node.
      providerConfig: {
        region: regionId,
        endpoint,
        securityGroupId: SECURITY_GROUP,
        vSwitchIds: [VSWITCH],
        clusterName: 'vkubelet-local',
        statusIntervalMs: 1_000,
      },
      env: { ECI_ACCESS_KEY: accessKeyId, ECI_SECRET_KEY: accessKeySecret },
      stop: () => emulator.stop(),
    };
  },
  tryIt: [
    "kubectl run demo --image=busybox -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- echo hi',
    'kubectl top pod demo',
  ],
  notes: [
    'each pod is an ECI container group; its events (Scheduled, Pulled, Started, ...) show in kubectl describe pod',
    'containers run a small built-in shell (echo, sleep, exit, env, cat): any image name works, kubectl cp does not',
  ],
};
