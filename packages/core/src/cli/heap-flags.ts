/**
 * V8 heap settings for a long-running agent. Node's defaults suit short scripts: the young
 * generation grows to 64 MB semi-spaces, and the old generation may grow to several times its live
 * size between full collections. Measured with the 10,000-pod benchmark: a peak RSS over 800 MB with the
 * defaults, against a live heap of about 150 MB. Semi-spaces of 4 MB and a heap grown by 10% after
 * each full collection keep the process near its live size for little extra CPU. `--expose-gc` lets
 * the agent hand back, once it is ready, the memory that loading and starting it left behind
 * (see releaseStartupMemory).
 */
export const AGENT_HEAP_FLAGS: readonly string[] = [
  '--max-semi-space-size=4',
  '--heap-growing-percent=10',
  '--expose-gc',
];

/**
 * glibc's malloc raises its trim and mmap thresholds (up to 32 and 64 MB) each time a large block
 * is freed, after which its arenas keep that much freed memory instead of returning it: V8's
 * start-up compilation frees such blocks, so an idle agent held megabytes of free malloc memory.
 * Setting the trim threshold (here to glibc's own starting value) turns that adjustment off. Other
 * C libraries ignore the variable.
 */
export const AGENT_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: '131072' };

/** Variables whose presence means whoever started the process tuned malloc. */
const MALLOC_ENV_NAMES = [
  'MALLOC_TRIM_THRESHOLD_',
  'MALLOC_MMAP_THRESHOLD_',
  'MALLOC_TOP_PAD_',
  'GLIBC_TUNABLES',
];

/** Flags whose presence means whoever started the process chose the heap settings. */
const HEAP_FLAG_NAMES = ['--max-semi-space-size', '--heap-growing-percent', '--max-heap-size'];

function setsHeap(args: readonly string[]): boolean {
  return args.some(arg => HEAP_FLAG_NAMES.some(name => arg === name || arg.startsWith(`${name}=`)));
}

/** The parts of `process` that useAgentHeapFlags reads and calls (tests pass a stand-in). */
export interface HeapFlagsProcess {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  execve?(file: string, args?: readonly string[], env?: NodeJS.ProcessEnv): never;
}

/**
 * Re-executes the command with AGENT_HEAP_FLAGS when none of them was given, keeping the PID (so
 * signals and process supervisors see one process) and every other argument, and with
 * AGENT_MALLOC_ENV unless the environment tunes malloc already. Neither can be changed once the
 * process runs, hence a new image rather than a runtime call. Does nothing where `process.execve`
 * is missing (Windows) or when the command line or NODE_OPTIONS sets one of these flags: an
 * operator's own choice wins.
 */
export function useAgentHeapFlags(proc: HeapFlagsProcess = process): void {
  const nodeOptions = (proc.env['NODE_OPTIONS'] ?? '').split(/\s+/);
  if (setsHeap(proc.execArgv) || setsHeap(nodeOptions) || typeof proc.execve !== 'function') return;
  proc.execve(
    proc.execPath,
    [proc.execPath, ...AGENT_HEAP_FLAGS, ...proc.execArgv, ...proc.argv.slice(1)],
    MALLOC_ENV_NAMES.some(name => proc.env[name] !== undefined)
      ? proc.env
      : { ...proc.env, ...AGENT_MALLOC_ENV },
  );
}
