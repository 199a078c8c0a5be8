import { execFileSync } from 'node:child_process';

/**
 * A non-loopback address on this machine for the kubelet API: the API server refuses to proxy
 * `nodes/<n>/proxy` to loopback addresses, so `kubectl get --raw .../proxy/...` needs the node to
 * publish another one. The test makes its own test host: a network namespace joined to this one by a
 * veth pair on a private /30; the agent listens on our end, so traffic never leaves the machine.
 * Needs root and iproute2 (both in CI).
 */
export interface HostAddress {
  address: string;
  remove(): void;
}

export function createHostAddress(): HostAddress {
  const id = process.pid % 10_000;
  const ns = `vk-e2e-${id}`;
  const outer = `vke${id}`;
  const inner = `vki${id}`;
  const subnet = `10.213.${id % 250}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const remove = () => {
    for (const args of [
      ['link', 'del', outer],
      ['netns', 'del', ns],
    ]) {
      try {
        ip(...args);
      } catch {
        // Already gone.
      }
    }
  };
  remove();
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns);
    ip('addr', 'add', `${subnet}.1/30`, 'dev', outer);
    ip('link', 'set', outer, 'up');
    ip('-n', ns, 'addr', 'add', `${subnet}.2/30`, 'dev', inner);
    ip('-n', ns, 'link', 'set', inner, 'up');
  } catch (err) {
    remove();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`could not create the test network (needs root and iproute2): ${stderr || String(err)}`, {
      cause: err,
    });
  }
  return { address: `${subnet}.1`, remove };
}
