import type { ProviderEntry } from './entry.js';
import { startEmulatorCli } from './emulator-cli.js';

/** What tools/eci-emulator's CLI prints. */
interface EciConnection {
  endpoint: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
}

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
      // Match this to the provider's config schema when providers/eci lands.
      providerConfig: { regionId, endpoint },
      // Alibaba Cloud's standard credential variables (@alicloud/credentials reads these).
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKeySecret },
      stop: () => emulator.stop(),
    };
  },
  tryIt: [
    "kubectl run demo --image=busybox -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- echo hi',
    'kubectl top pod demo',
  ],
};
