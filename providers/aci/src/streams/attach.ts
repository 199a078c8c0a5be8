import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { AttachIO } from '@vkubelet/provider-kit';

import { callArm } from '../azure/errors.js';
import { runSession } from './session.js';

export interface AttachTarget {
  client: ContainerInstanceManagementClient;
  resourceGroup: string;
  group: string;
  container: string;
  ca?: string | undefined;
}

/**
 * Attach over ACI: `attach` grants a WebSocket streaming what the container writes from now on (no
 * terminal, so newlines stay as written); stdin goes to ACI as frames. The password is sent both
 * ways ACI's clients send it: as the first frame and as the Authorization header.
 */
export async function attachInAci(target: AttachTarget, io: AttachIO, signal: AbortSignal): Promise<void> {
  const grant = await callArm('Containers_Attach', () =>
    target.client.containers.attach(target.resourceGroup, target.group, target.container, {
      abortSignal: signal,
    }),
  );
  await runSession(
    grant,
    io,
    {
      open: () => [grant.password ?? ''],
      stdin: data => data,
      receive: data => [{ stdout: data }],
    },
    `attach to container ${target.container} of ${target.group}`,
    { ca: target.ca, signal, passwordHeader: true },
  );
}
