import { enumSchema, quantitySchema } from '@vkubelet/provider-kit';
import { z } from 'zod';

/** ARM's rule for resource group names. */
const RESOURCE_GROUP = /^[-\w._()]{0,89}[-\w_()]$/;
/** Azure region names as ARM spells them (`westeurope`, `eastus2`). */
const REGION = /^[a-z][a-z0-9]*$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SUBNET_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;

const httpsUrl = z.url({ protocol: /^https$/ });

/** The provider config file (`--provider-config`, YAML or JSON); most fields also come from the environment. */
export const aciConfigSchema = z
  .object({
    subscriptionId: z.string().regex(GUID, 'must be a subscription ID (a GUID)').meta({
      description: 'Azure subscription the container groups are billed to',
      env: 'AZURE_SUBSCRIPTION_ID',
    }),
    resourceGroup: z
      .string()
      .regex(RESOURCE_GROUP, 'must be a resource group name')
      .meta({ description: 'resource group the container groups are created in', env: 'ACI_RESOURCE_GROUP' }),
    region: z
      .string()
      .transform(value => value.toLowerCase().replaceAll(' ', ''))
      .pipe(z.string().regex(REGION, 'must be an Azure region name such as westeurope'))
      .meta({ description: 'Azure region of the container groups', env: 'ACI_REGION' }),
    operatingSystem: enumSchema(['Linux', 'Windows'])
      .default('Linux')
      .meta({ description: 'OS of the container groups, and of the node', env: 'ACI_OS' }),
    tenantId: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Entra ID tenant of the credentials', env: 'AZURE_TENANT_ID' }),
    clientId: z.string().min(1).optional().meta({
      description:
        'application (client) ID: a service principal, a workload identity or a user-assigned managed identity',
      env: 'AZURE_CLIENT_ID',
    }),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "the service principal's secret", env: 'AZURE_CLIENT_SECRET' }),
    federatedTokenFile: z.string().min(1).optional().meta({
      description: 'workload identity: file holding the federated token (AKS mounts it)',
      env: 'AZURE_FEDERATED_TOKEN_FILE',
    }),
    credential: enumSchema(['auto', 'clientSecret', 'workloadIdentity', 'managedIdentity'])
      .default('auto')
      .meta({
        description:
          'how to authenticate; `auto` takes a client secret if set, else a federated token file, else the managed identity',
      }),
    armEndpoint: httpsUrl.default('https://management.azure.com').meta({
      description: 'Azure Resource Manager endpoint (another cloud, or an emulator)',
      env: 'ACI_ARM_ENDPOINT',
    }),
    authorityHost: httpsUrl.optional().meta({
      description: 'Entra ID authority host; default the public cloud',
      env: 'AZURE_AUTHORITY_HOST',
    }),
    disableInstanceDiscovery: z.boolean().default(false).meta({
      description:
        'skip the authority check against login.microsoftonline.com (private clouds, Azure Stack, emulators)',
    }),
    caFile: z.string().min(1).optional().meta({
      description: 'PEM file of a CA to trust for ARM, Entra ID and the exec/attach WebSockets',
      env: 'ACI_CA_FILE',
    }),
    subnetId: z
      .string()
      .regex(SUBNET_ID, 'must be the resource ID of a virtual network subnet')
      .optional()
      .meta({
        description:
          'subnet delegated to Microsoft.ContainerInstance: every group gets a private IP there (AKS virtual nodes)',
        env: 'ACI_SUBNET_ID',
      }),
    kubeDnsIP: z.ipv4().optional().meta({
      description:
        'cluster DNS server for pods with dnsPolicy ClusterFirst (VNet only: it must be reachable)',
      env: 'KUBE_DNS_IP',
    }),
    clusterName: z
      .string()
      .regex(/^[-\w.]{1,63}$/, 'must be 1-63 letters, digits, `-`, `_` or `.`')
      .optional()
      .meta({
        description: 'tags every group with it, so that clusters sharing a resource group keep apart',
        env: 'ACI_CLUSTER_NAME',
      }),
    capacity: z
      .object({
        cpu: quantitySchema({ positive: true })
          .optional()
          .meta({ description: "what the node advertises; default the region's StandardCores quota" }),
        memory: quantitySchema({ positive: true })
          .default('4Ti')
          .meta({ description: 'what the node advertises (ACI has no memory quota)' }),
        pods: quantitySchema({ positive: true })
          .optional()
          .meta({ description: "what the node advertises; default the region's ContainerGroups quota" }),
        gpu: quantitySchema()
          .optional()
          .meta({ description: '`nvidia.com/gpu` the node advertises; none by default' }),
      })
      .strict()
      .prefault({}),
    defaults: z
      .object({
        cpu: quantitySchema({ positive: true })
          .default('1')
          .meta({ description: 'CPU of a container that requests none (ACI needs a request)' }),
        memory: quantitySchema({ positive: true })
          .default('1.5G')
          .meta({ description: 'memory of a container that requests none' }),
        gpuSku: enumSchema(['K80', 'P100', 'V100'])
          .default('V100')
          .meta({ description: 'GPU SKU unless the pod annotation virtual-kubelet.io/gpu-type names one' }),
      })
      .strict()
      .prefault({}),
    statusIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .meta({ description: 'how often every group is read (one ARM GET each)' }),
    syncConcurrency: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .meta({ description: 'ARM reads in flight at once while refreshing' }),
    maxRetries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(5)
      .meta({ description: "retries of one ARM request (throttling honours ARM's Retry-After)" }),
    exec: z
      .object({
        exitCode: enumSchema(['shell', 'none']).default('shell').meta({
          description:
            "`shell`: run commands through `shell` on ACI's terminal and read their exit code from a marker line; `none`: run them as ACI does, exit code 0",
        }),
        shell: z
          .string()
          .regex(/^\S+$/, 'must be one executable path')
          .default('/bin/sh')
          .meta({ description: 'the shell `exitCode: shell` runs commands through' }),
      })
      .strict()
      .prefault({}),
    logPollIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(1_000)
      .meta({ description: 'how often `kubectl logs -f` reads the logs again' }),
    metricsCacheMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(30_000)
      .meta({ description: "how long a group's Azure Monitor figures are reused for stats" }),
  })
  .strict();

export type AciConfig = z.output<typeof aciConfigSchema>;
export type AciConfigInput = z.input<typeof aciConfigSchema>;
