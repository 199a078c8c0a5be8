import type { V1Container, V1EphemeralContainer, V1Pod, V1Volume } from '@kubernetes/client-node';

export type ReferencedKind = 'ConfigMap' | 'Secret';

/** `Kind/namespace/name`: one object a pod refers to. */
export type ReferenceKey = `${ReferencedKind}/${string}/${string}`;

export function referenceKey(kind: ReferencedKind, namespace: string, name: string): ReferenceKey {
  return `${kind}/${namespace}/${name}`;
}

export function parseReferenceKey(key: ReferenceKey): {
  kind: ReferencedKind;
  namespace: string;
  name: string;
} {
  const [kind, namespace, name] = key.split('/') as [ReferencedKind, string, string];
  return { kind, namespace, name };
}

/**
 * Every ConfigMap and Secret a pod refers to, the same set the Node authorizer builds its graph
 * from: env and envFrom of all containers, configMap/secret/projected/CSI volumes and
 * imagePullSecrets. Optional references count too (the object may appear later).
 */
export function podReferences(pod: V1Pod): Set<ReferenceKey> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const refs = new Set<ReferenceKey>();
  const add = (kind: ReferencedKind, name: string | undefined): void => {
    if (name) refs.add(referenceKey(kind, namespace, name));
  };
  const spec = pod.spec;
  if (!spec) return refs;
  const containers: (V1Container | V1EphemeralContainer)[] = [
    ...(spec.initContainers ?? []),
    ...spec.containers,
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const container of containers) {
    for (const env of container.env ?? []) {
      add('ConfigMap', env.valueFrom?.configMapKeyRef?.name);
      add('Secret', env.valueFrom?.secretKeyRef?.name);
    }
    for (const source of container.envFrom ?? []) {
      add('ConfigMap', source.configMapRef?.name);
      add('Secret', source.secretRef?.name);
    }
  }
  for (const volume of spec.volumes ?? []) addVolume(volume, add);
  for (const pullSecret of spec.imagePullSecrets ?? []) add('Secret', pullSecret.name);
  return refs;
}

function addVolume(volume: V1Volume, add: (kind: ReferencedKind, name: string | undefined) => void): void {
  add('ConfigMap', volume.configMap?.name);
  add('Secret', volume.secret?.secretName);
  for (const source of volume.projected?.sources ?? []) {
    add('ConfigMap', source.configMap?.name);
    add('Secret', source.secret?.name);
  }
  add('Secret', volume.azureFile?.secretName);
  add('Secret', volume.csi?.nodePublishSecretRef?.name);
  add('Secret', volume.flexVolume?.secretRef?.name);
  add('Secret', volume.cephfs?.secretRef?.name);
  add('Secret', volume.rbd?.secretRef?.name);
  add('Secret', volume.iscsi?.secretRef?.name);
  add('Secret', volume.scaleIO?.secretRef?.name);
  add('Secret', volume.storageos?.secretRef?.name);
}
