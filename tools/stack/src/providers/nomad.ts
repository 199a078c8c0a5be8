import type { ProviderEntry } from './entry.js';
import { startEmulatorCli } from './emulator-cli.js';

/** What tools/nomad-emulator's CLI prints (no TLS files: the stack runs it over plain HTTP). */
interface NomadConnection {
  address: string;
  token: string;
  namespace: string;
  region: string;
}

/** The Nomad API emulator (tools/nomad-emulator): allocations' tasks run on the mock's process model. */
export const nomad: ProviderEntry = {
  name: 'nomad',
  runsOn: 'the Nomad API emulator (tools/nomad-emulator; tasks run a small built-in shell)',
  async startBackend(context) {
    context.progress('starting the Nomad emulator');
    const emulator = await startEmulatorCli<NomadConnection>(
      context,
      'nomad-emulator',
      'tools/nomad-emulator/dist/cli.js',
    );
    const { address, namespace, region, token } = emulator.connection;
    return {
      providerConfig: { address, namespace, region },
      // The variable the Nomad CLI reads, as on a real node; keeps the token out of the config file.
      env: { NOMAD_TOKEN: token },
      stop: () => emulator.stop(),
    };
  },
  tryIt: [
    "kubectl run demo --image=busybox -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- echo hi',
    'kubectl top pod demo',
  ],
  notes: ['each pod is a Nomad job vk.<namespace>.<pod>; the emulator logs to nomad-emulator.log'],
};
