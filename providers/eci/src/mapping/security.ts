import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

import type { ParamTree } from '../client/params.js';
import { refuseIf } from './refuse.js';

/** The settings pod and container security contexts share that ECI has no counterpart for. */
function checkShared(
  context: Pick<
    V1SecurityContext,
    'runAsGroup' | 'seLinuxOptions' | 'windowsOptions' | 'seccompProfile' | 'appArmorProfile'
  >,
  runAsNonRoot: boolean | undefined,
  user: number | undefined,
  field: string,
): void {
  refuseIf(context.runAsGroup !== undefined, `${field}.runAsGroup`, 'ECI cannot set the group');
  refuseIf(context.seLinuxOptions, `${field}.seLinuxOptions`, 'ECI has no SELinux settings');
  refuseIf(context.windowsOptions, `${field}.windowsOptions`, 'ECI runs Linux');
  refuseIf(
    context.seccompProfile && context.seccompProfile.type !== 'RuntimeDefault',
    `${field}.seccompProfile`,
    'ECI applies its runtime default profile only',
  );
  refuseIf(
    context.appArmorProfile && context.appArmorProfile.type !== 'RuntimeDefault',
    `${field}.appArmorProfile`,
    'ECI applies its runtime default profile only',
  );
  refuseIf(
    runAsNonRoot && (user ?? 0) === 0,
    `${field}.runAsNonRoot`,
    "ECI cannot check the image's user; set a non-zero runAsUser",
  );
}

/**
 * The pod-level security context: only `runAsUser` (the containers' default) and a RuntimeDefault
 * seccomp profile have an ECI counterpart; a restriction ECI cannot enforce is refused rather than
 * silently weakened.
 */
export function checkPodSecurity(context: V1PodSecurityContext | undefined): void {
  if (!context) return;
  const field = 'spec.securityContext';
  checkShared(context, context.runAsNonRoot, context.runAsUser, field);
  refuseIf(context.fsGroup !== undefined, `${field}.fsGroup`, 'ECI cannot change volume ownership');
  refuseIf(context.fsGroupChangePolicy, `${field}.fsGroupChangePolicy`, 'ECI cannot change volume ownership');
  refuseIf(context.supplementalGroups?.length, `${field}.supplementalGroups`, 'ECI cannot add groups');
  refuseIf(context.sysctls?.length, `${field}.sysctls`, 'sysctls cannot be set');
}

/**
 * A container's security context as ECI's (`ReadOnlyRootFilesystem`, `RunAsUser`, added
 * capabilities); `runAsUser` defaults to the pod's.
 */
export function mapSecurityContext(
  context: V1SecurityContext | undefined,
  pod: V1PodSecurityContext | undefined,
  field: string,
): ParamTree | undefined {
  const user = context?.runAsUser ?? pod?.runAsUser;
  if (!context) return user === undefined ? undefined : { RunAsUser: user };
  checkShared(context, context.runAsNonRoot ?? pod?.runAsNonRoot, user, field);
  refuseIf(context.privileged, `${field}.privileged`, 'privileged containers are not allowed');
  refuseIf(
    context.allowPrivilegeEscalation === false,
    `${field}.allowPrivilegeEscalation`,
    'ECI cannot set no_new_privs',
  );
  refuseIf(context.capabilities?.drop?.length, `${field}.capabilities.drop`, 'ECI cannot drop capabilities');
  refuseIf(
    context.procMount && context.procMount !== 'Default',
    `${field}.procMount`,
    'ECI mounts /proc its way',
  );
  const added = (context.capabilities?.add ?? []).map(capability => capability.replace(/^CAP_/, ''));
  return {
    ReadOnlyRootFilesystem: context.readOnlyRootFilesystem,
    RunAsUser: user,
    Capability: added.length > 0 ? { Add: added } : undefined,
  };
}
