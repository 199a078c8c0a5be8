import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export interface ComparatorBinaries {
  /** Upstream Virtual Kubelet v1.14.1. */
  upstream: string;
  /** kwok v0.8.0. */
  kwok: string;
  /** kwok's stock stages as kwokctl configures them (node-initialize, node-heartbeat, pod-ready, pod-complete, pod-delete). */
  kwokStages: string;
}

let built: Promise<ComparatorBinaries> | undefined;

/**
 * The comparators' binaries, built from the Go module proxy by `tools/bench/comparators/build.sh`
 * into ~/.cache/vkubelet/comparators on first use (minutes), cached afterwards.
 */
export function comparatorBinaries(): Promise<ComparatorBinaries> {
  built ??= (async () => {
    const { stdout } = await run(
      'bash',
      ['-c', 'source tools/scripts/ensure-go.sh >/dev/null && exec tools/bench/comparators/build.sh'],
      { cwd: repo, maxBuffer: 16 * 1024 * 1024 },
    ).catch((err: { stderr?: string; message: string }) => {
      throw new Error(
        `building the comparators failed: ${err.stderr?.trim().split('\n').slice(-5).join('\n') ?? err.message}`,
      );
    });
    const paths = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map(line => line.split('=', 2) as [string, string]),
    );
    if (!paths['upstream-vk'] || !paths.kwok || !paths['kwok-stages'])
      throw new Error(`comparators/build.sh printed no paths:\n${stdout}`);
    return { upstream: paths['upstream-vk'], kwok: paths.kwok, kwokStages: paths['kwok-stages'] };
  })();
  return built;
}
