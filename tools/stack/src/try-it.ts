// The block a Ready stack prints: how to point a shell at it, then the provider's commands to try.
import { dirname } from 'node:path';

import type { ProviderEntry } from './providers/index.js';

export function tryItText(stack: {
  name: string;
  kubeconfig: string;
  kubectlPath: string;
  logsDir: string;
  provider: ProviderEntry;
}): string {
  const lines = [
    'Try it, in another shell:',
    `  export KUBECONFIG=${stack.kubeconfig}`,
    `  export PATH=${dirname(stack.kubectlPath)}:$PATH   # kubectl`,
    ...stack.provider.tryIt.map(command => `  ${command}`),
    ...(stack.provider.notes ?? []).map(note => `Note: ${note}.`),
    'kubectl top shows figures about 20 s after a pod starts (metrics-server scrapes every 10 s).',
    `Logs: ${stack.logsDir}; other stacks: --name NAME; stop: Ctrl-C here, or vkubelet-stack stop ${stack.name}.`,
  ];
  return `${lines.join('\n')}\n`;
}
