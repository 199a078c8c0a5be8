import type {
  V1ConfigMap,
  V1Container,
  V1EnvFromSource,
  V1EnvVar,
  V1EphemeralContainer,
  V1Pod,
  V1Secret,
  V1SecretKeySelector,
} from '@kubernetes/client-node';
import { noopLogger, type Logger, type ResourceLister } from '@vkubelet/provider-kit';

import type { PodEventRecorder } from '../../events/types.js';
import { withOwnContainers } from './own-containers.js';
import { isEnvVarName } from './env-var-name.js';
import { EnvResolutionError } from './errors.js';
import { expandVariables, lookupIn } from './expansion.js';
import { resolveFieldRef, type RuntimeFields } from './field-ref.js';
import { EnvEventReason as Reason } from './reasons.js';
import { resolveResourceFieldRef, type NodeAllocatable } from './resource-field-ref.js';
import { serviceLinkVariables } from './service-links.js';

export interface EnvResolutionContext {
  resources: ResourceLister;
  events: PodEventRecorder;
  runtime: RuntimeFields;
  /** Node allocatable; resourceFieldRef limits default to it. */
  allocatable: NodeAllocatable;
  logger?: Logger;
}

type AnyContainer = V1Container | V1EphemeralContainer;
type Source = { kind: 'configmap'; object: V1ConfigMap } | { kind: 'secret'; object: V1Secret };

/** One resolution of one pod: reads each ConfigMap/Secret once, however often it is referenced. */
class PodEnvResolver {
  private readonly reads = new Map<string, Promise<V1ConfigMap | V1Secret | undefined>>();
  private readonly namespace: string;
  private readonly logger: Logger;

  constructor(
    private readonly pod: V1Pod,
    private readonly ctx: EnvResolutionContext,
  ) {
    this.namespace = pod.metadata?.namespace ?? 'default';
    this.logger = ctx.logger ?? noopLogger;
  }

  private warn(reason: string, note: string): void {
    this.ctx.events.event(this.pod, 'Warning', reason, note);
  }

  private read(kind: 'configmap' | 'secret', name: string): Promise<V1ConfigMap | V1Secret | undefined> {
    const key = `${kind}/${name}`;
    let read = this.reads.get(key);
    if (!read) {
      read =
        kind === 'configmap'
          ? this.ctx.resources.getConfigMap(this.namespace, name)
          : this.ctx.resources.getSecret(this.namespace, name);
      this.reads.set(key, read);
    }
    return read;
  }

  /**
   * Reads a referenced ConfigMap/Secret with upstream's events. Only an object proven absent
   * (NotFound) lets an optional reference be skipped, as the kubelet does; any other error (the Node
   * authorizer's 403 right after binding, a 5xx, a timeout) fails resolution, optional or not, so
   * the sync is retried and the pod never starts without a value it could have read.
   * `envVar` names the variable for valueFrom references.
   */
  private async source(
    kind: 'configmap' | 'secret',
    name: string,
    optional: boolean,
    envVar?: string,
  ): Promise<Source | undefined> {
    const Kind = kind === 'configmap' ? 'ConfigMap' : 'Secret';
    const skipping = envVar === undefined ? '' : `skipping optional envvar ${JSON.stringify(envVar)}: `;
    let object: V1ConfigMap | V1Secret | undefined;
    try {
      object = await this.read(kind, name);
    } catch (err) {
      this.logger.warn(`failed to read ${kind}`, { name, err });
      const message = `failed to read ${kind} ${JSON.stringify(name)}: ${String(err)}`;
      this.warn(
        optional ? Reason[`FailedToReadOptional${Kind}`] : Reason[`FailedToReadMandatory${Kind}`],
        `${message}; will retry`,
      );
      throw new EnvResolutionError('missing', message, { cause: err });
    }
    if (object === undefined) {
      if (optional) {
        this.warn(Reason[`Optional${Kind}NotFound`], `${skipping}${kind} ${JSON.stringify(name)} not found`);
        return undefined;
      }
      this.warn(Reason[`Mandatory${Kind}NotFound`], `${kind} ${JSON.stringify(name)} not found`);
      throw new EnvResolutionError('missing', `${kind} ${JSON.stringify(name)} not found`);
    }
    return kind === 'configmap' ? { kind, object: object } : { kind, object: object };
  }

  private async applyEnvFrom(
    ref: V1EnvFromSource,
    into: Map<string, string>,
    fromSecrets: Map<string, V1SecretKeySelector>,
  ): Promise<void> {
    const configMapRef = ref.configMapRef;
    const secretRef = ref.secretRef;
    const source = configMapRef
      ? await this.source('configmap', configMapRef.name ?? '', configMapRef.optional === true)
      : secretRef
        ? await this.source('secret', secretRef.name ?? '', secretRef.optional === true)
        : undefined;
    if (!source) return;
    const entries = entriesOf(source);
    const invalid: string[] = [];
    // Sorted keys: ConfigMap data is a map, and a stable order keeps the provider's view stable.
    for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const name = (ref.prefix ?? '') + key;
      if (!isEnvVarName(name)) {
        invalid.push(name);
        continue;
      }
      into.set(name, value);
      if (source.kind === 'secret') fromSecrets.set(name, { name: source.object.metadata?.name ?? '', key });
      else fromSecrets.delete(name);
    }
    if (invalid.length > 0) {
      const meta = source.object.metadata;
      this.warn(
        Reason.InvalidEnvironmentVariableNames,
        `keys [${invalid.sort().join(', ')}] from ${source.kind} ${meta?.namespace ?? this.namespace}/${meta?.name ?? ''} were skipped since they are invalid as environment variable names`,
      );
    }
  }

  private async keyRef(
    kind: 'configmap' | 'secret',
    envVar: string,
    ref: { name?: string; key: string; optional?: boolean },
  ): Promise<string | undefined> {
    const name = ref.name ?? '';
    const optional = ref.optional === true;
    const source = await this.source(kind, name, optional, envVar);
    if (!source) return undefined;
    const value = new Map(entriesOf(source)).get(ref.key);
    if (value !== undefined) return value;
    const Kind = kind === 'configmap' ? 'ConfigMap' : 'Secret';
    const quotedKey = JSON.stringify(ref.key);
    const quotedName = JSON.stringify(name);
    if (optional) {
      this.warn(
        Reason[`Optional${Kind}KeyNotFound`],
        `skipping optional envvar ${JSON.stringify(envVar)}: key ${quotedKey} does not exist in ${kind} ${quotedName}`,
      );
      return undefined;
    }
    this.warn(
      Reason[`Mandatory${Kind}KeyNotFound`],
      `key ${quotedKey} does not exist in ${kind} ${quotedName}`,
    );
    throw new EnvResolutionError(
      'missing',
      `${kind} ${quotedName} doesn't contain the ${quotedKey} key required by pod ${this.pod.metadata?.name ?? ''}`,
    );
  }

  private async valueOf(
    env: V1EnvVar,
    container: AnyContainer,
    lookup: (name: string) => string | undefined,
  ): Promise<string | undefined> {
    const from = env.valueFrom;
    if (!from) return expandVariables(env.value ?? '', lookup);
    if (from.configMapKeyRef) return this.keyRef('configmap', env.name, from.configMapKeyRef);
    if (from.secretKeyRef) return this.keyRef('secret', env.name, from.secretKeyRef);
    if (from.fieldRef) return resolveFieldRef(from.fieldRef, this.pod, this.ctx.runtime);
    if (from.resourceFieldRef) {
      const spec = this.pod.spec;
      const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
      return resolveResourceFieldRef(from.resourceFieldRef, container, containers, this.ctx.allocatable);
    }
    this.logger.warn('environment variable with an unknown valueFrom dropped', { env: env.name });
    return undefined;
  }

  /**
   * Resolves one container in place: `env` becomes name/value pairs, `envFrom` empty, command/args
   * expanded. A value read from a Secret keeps its `valueFrom.secretKeyRef` next to it, so a provider
   * can hand it to its backend as a secret.
   */
  async resolveContainer(container: AnyContainer, services: ReadonlyMap<string, string>): Promise<void> {
    const vars = new Map<string, string>();
    const fromSecrets = new Map<string, V1SecretKeySelector>();
    for (const ref of container.envFrom ?? []) await this.applyEnvFrom(ref, vars, fromSecrets);
    // Expansion sees what is defined so far (envFrom, then earlier env entries), then service links.
    const lookup = lookupIn(vars, services);
    for (const env of container.env ?? []) {
      const value = await this.valueOf(env, container, lookup);
      if (value === undefined) continue;
      vars.set(env.name, value);
      const secretRef = env.valueFrom?.secretKeyRef;
      if (secretRef) fromSecrets.set(env.name, { name: secretRef.name ?? '', key: secretRef.key });
      else fromSecrets.delete(env.name);
    }
    for (const [name, value] of services) if (!vars.has(name)) vars.set(name, value);
    container.envFrom = [];
    container.env = [...vars].map(([name, value]) => {
      const secretKeyRef = fromSecrets.get(name);
      return secretKeyRef ? { name, value, valueFrom: { secretKeyRef } } : { name, value };
    });
    // kubelet ExpandContainerCommandAndArgs: only the container's final env, no service fallback.
    const final = lookupIn(vars);
    if (container.command) container.command = container.command.map(part => expandVariables(part, final));
    if (container.args) container.args = container.args.map(part => expandVariables(part, final));
  }

  async serviceVariables(): Promise<Map<string, string>> {
    const enableServiceLinks = this.pod.spec?.enableServiceLinks ?? true;
    const [defaults, own] = await Promise.all([
      this.ctx.resources.listServices('default'),
      enableServiceLinks && this.namespace !== 'default'
        ? this.ctx.resources.listServices(this.namespace)
        : Promise.resolve([]),
    ]);
    return serviceLinkVariables(
      this.namespace,
      enableServiceLinks,
      defaults,
      this.namespace === 'default' ? defaults : own,
    );
  }
}

function entriesOf(source: Source): [string, string][] {
  if (source.kind === 'configmap') return Object.entries(source.object.data ?? {});
  return Object.entries(source.object.data ?? {}).map(([key, base64]) => [
    key,
    Buffer.from(base64, 'base64').toString('utf8'),
  ]);
}

/**
 * A copy of `pod` with the environment of every init, app and ephemeral container resolved the way
 * the kubelet would: envFrom and valueFrom read, `$(VAR)` expanded in env values, command and args,
 * service-link variables added. The order is deterministic (envFrom sources in spec order with their
 * keys sorted, then env in spec order, then service links), so resolving twice gives equal pods.
 * Throws EnvResolutionError; emits upstream's Warning events as it goes.
 */
export async function resolvePodEnvironment(pod: V1Pod, ctx: EnvResolutionContext): Promise<V1Pod> {
  const copy = withOwnContainers(pod);
  const resolver = new PodEnvResolver(copy, ctx);
  const spec = copy.spec;
  if (!spec) return copy;
  const services = await resolver.serviceVariables();
  for (const container of spec.initContainers ?? []) await resolver.resolveContainer(container, services);
  for (const container of spec.containers) await resolver.resolveContainer(container, services);
  for (const container of spec.ephemeralContainers ?? [])
    await resolver.resolveContainer(container, services);
  return copy;
}
