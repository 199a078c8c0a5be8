/**
 * What `kubectl logs`, `exec` and `top pod` give against each provider's stack, for the pod the try-it
 * commands start (`demo`, running `echo hello; sleep 3600`). Providers whose backends run the mock's
 * process model (the emulators) behave like the mock; a provider with other limits says so here.
 */
export interface VerbExpectations {
  logs: string;
  /** `kubectl exec demo -- echo hi` */
  exec: { stdout: string } | { refused: RegExp };
  /** `kubectl top pod demo --no-headers` */
  top: { matches: RegExp } | { refused: RegExp };
}

const realProcesses: VerbExpectations = {
  logs: 'hello\n',
  exec: { stdout: 'hi\n' },
  top: { matches: /^demo\s+\d+m\s+\d+Mi\s*$/ },
};

const byProvider: Record<string, VerbExpectations> = {
  // The try-it command sets the mock's CPU with mock.vkubelet.io/cpu-usage=250m.
  mock: { ...realProcesses, top: { matches: /^demo\s+250m\s+\d+Mi\s*$/ } },
  cri: realProcesses,
  // moto records tasks but runs no containers; ECS offers exec only through SSM sessions.
  fargate: {
    logs: '',
    exec: { refused: /501 not implemented/i },
    top: { refused: /podmetrics.metrics.k8s.io "default\/demo" not found/ },
  },
};

export function expectationsFor(provider: string): VerbExpectations {
  return byProvider[provider] ?? realProcesses;
}
