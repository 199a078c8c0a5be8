// What a provider needs from the local stack, as one declarative entry per provider (see
// tools/stack/README.md, "Adding a provider").

export interface BackendContext {
  /** The stack's state directory (removed when the stack stops): config files go here. */
  readonly stateDir: string;
  /** Where long-running backend processes write their logs. */
  readonly logsDir: string;
  readonly nodeName: string;
  /** One progress line on the terminal (prefixed with the provider's name). */
  progress(message: string): void;
}

/** A running backend and what virtual-kubelet needs to use it. */
export interface Backend {
  /** Written as JSON to `<stateDir>/provider-config.json` and passed as `--provider-config`. */
  readonly providerConfig?: unknown;
  /** Extra environment for virtual-kubelet (credentials, CA files). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra virtual-kubelet flags. */
  readonly flags?: readonly string[];
  /** Stops the backend and removes whatever it created; called once, also after a failed start. */
  stop(): Promise<void>;
}

export interface ProviderEntry {
  /** The `--provider` value, for the stack and for virtual-kubelet. */
  readonly name: string;
  /** What runs the pods, in a few words (shown by `vkubelet-stack providers`). */
  readonly runsOn: string;
  /** Brings up the backend; absent when the provider needs none (mock). */
  startBackend?(context: BackendContext): Promise<Backend>;
  /**
   * Commands to try once the node is Ready: printed by the stack, listed in the README's "Try it"
   * section (a unit test keeps both equal) and run one by one by the e2e test.
   */
  readonly tryIt: readonly string[];
  /** Lines printed with the commands: which images work, what the backend cannot do. */
  readonly notes?: readonly string[];
}
