// The flags of `vkubelet-stack up` (kept apart from cli.ts, which runs on import). The stack's own
// flags are picked out; every other argument goes to virtual-kubelet unchanged.
import { PENDING_PROVIDERS, PROVIDERS } from './providers/index.js';
import { STACK_NAME } from './state.js';

export const USAGE = `usage: vkubelet-stack up [--provider ${PROVIDERS.map(p => p.name).join('|')}] [--name NAME] [--node-name NODE]
                        [--address IP] [virtual-kubelet flags...]
       vkubelet-stack list | stop NAME | providers
  up: starts a local control plane with metrics-server, the provider's backend and a virtual node,
  prints KUBECONFIG=<path> once the node is Ready and runs until Ctrl-C (SIGINT/SIGTERM).
  --provider  default mock
  --name      the stack's name (default: the provider's): state in ~/.cache/vkubelet/stacks/NAME
  --node-name default vkubelet-<provider>-0
  --address   the node's address (default: this host's, from the default route); not loopback
  Other flags go to virtual-kubelet after the stack's own (e.g. --log-level debug).`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface UpArgs {
  provider: string;
  name: string;
  nodeName: string;
  address: string | undefined;
  agentFlags: string[];
}

const OWN_FLAGS = ['--provider', '--name', '--node-name', '--address'] as const;
type OwnFlag = (typeof OWN_FLAGS)[number];

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseUpArgs(argv: readonly string[]): UpArgs {
  const own: Partial<Record<OwnFlag, string>> = {};
  const agentFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (!(OWN_FLAGS as readonly string[]).includes(flag)) {
      agentFlags.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    own[flag as OwnFlag] = value;
  }
  const provider = own['--provider'] ?? 'mock';
  if (!PROVIDERS.some(entry => entry.name === provider)) {
    const pending = (PENDING_PROVIDERS as readonly string[]).includes(provider);
    throw new UsageError(
      pending
        ? `--provider ${provider}: not wired into the local stack yet (its backend is being written; see tools/stack/README.md, "Adding a provider")`
        : `--provider must be one of ${PROVIDERS.map(entry => entry.name).join(', ')}, not "${provider}"`,
    );
  }
  const name = own['--name'] ?? provider;
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `--name must be 1-32 lower-case letters, digits or '-' (not at either end), not "${name}"`,
    );
  }
  const nodeName = own['--node-name'] ?? `vkubelet-${provider}-0`;
  if (!NODE_NAME.test(nodeName))
    throw new UsageError(`--node-name must be a DNS subdomain, not "${nodeName}"`);
  return { provider, name, nodeName, address: own['--address'], agentFlags };
}
