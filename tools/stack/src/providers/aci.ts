import type { ProviderEntry } from './entry.js';
import { startEmulatorCli } from './emulator-cli.js';

/** What tools/aci-emulator's CLI prints. */
interface AciConnection {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  caFile: string;
  resourceGroup: string;
  location: string;
}

/** The ACI emulator (tools/aci-emulator): ARM and Entra ID over HTTPS, containers on the mock's process model. */
export const aci: ProviderEntry = {
  name: 'aci',
  runsOn: 'the ACI emulator (tools/aci-emulator; containers run a small built-in shell)',
  async startBackend(context) {
    context.progress('starting the ACI emulator');
    const emulator = await startEmulatorCli<AciConnection>(
      context,
      'aci-emulator',
      'tools/aci-emulator/dist/cli.js',
    );
    const c = emulator.connection;
    return {
      // providers/aci's config: the emulator's endpoints, and a subnet so that every pod gets a
      // private IP, as on AKS virtual nodes (the emulator routes nothing; the IP is for show).
      providerConfig: {
        armEndpoint: c.armEndpoint,
        resourceGroup: c.resourceGroup,
        region: c.location,
        caFile: c.caFile,
        disableInstanceDiscovery: true,
        subnetId: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Network/virtualNetworks/vkubelet/subnets/aci`,
        statusIntervalMs: 1_000,
      },
      // @azure/identity's client-secret credential (the provider reads these), and the emulator's CA.
      env: {
        AZURE_TENANT_ID: c.tenantId,
        AZURE_CLIENT_ID: c.clientId,
        AZURE_CLIENT_SECRET: c.clientSecret,
        AZURE_AUTHORITY_HOST: c.authorityHost,
        AZURE_SUBSCRIPTION_ID: c.subscriptionId,
        NODE_EXTRA_CA_CERTS: c.caFile,
      },
      stop: () => emulator.stop(),
    };
  },
  tryIt: [
    "kubectl run demo --image=busybox --command -- sh -c 'echo hello; sleep 3600'",
    'kubectl wait --for=condition=Ready pod/demo && kubectl logs demo && kubectl exec demo -- sh -c \'echo hi; exit 3\'; echo "exit code $?"',
    'kubectl top pod demo',
  ],
  notes: [
    'kubectl run needs --command: ACI replaces the image entrypoint and its arguments together, so args alone are refused',
    'Port-forward is refused (501): ACI cannot reach a port of a container group from the agent',
  ],
};
