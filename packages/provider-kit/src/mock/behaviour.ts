import type { V1Container, V1Pod } from '@kubernetes/client-node';

import { InvalidInputError } from '../errdefs/index.js';
import type { MockSettings } from './options.js';
import { parseCommand, type Statement } from './script.js';
import { containerUsage, type ContainerUsage } from './usage.js';
import { errorMessage } from '../errdefs/error-message.js';

/**
 * Pod annotation that overrides what the mock's containers do: `fail` (exit 1 at once), `flap` (run
 * for `flapMs`, then exit 1, again on every restart), `exit:<code>` (exit with that code at once),
 * `run:<ms>` (run that long, then exit 0). On the pod it applies to app containers; the suffixed form
 * `mock.vkubelet.io/behaviour.<container>` targets one container, init containers included.
 */
export const BEHAVIOUR_ANNOTATION = 'mock.vkubelet.io/behaviour';

/** What a container runs: statements for the mock shell, and whether it announces its start. */
export interface ContainerProgram {
  statements: Statement[];
  /** Containers without a command run for ever and log one line per start. */
  announceStart: boolean;
  /**
   * Set when the program is a lone `sleep` (Infinity for `sleep infinity`): the runtime then waits
   * with one plain timer instead of running the script, the usual workload of a large node.
   */
  sleepsForMs?: number;
  /** Stats figures the pod's usage annotations set (see usage.ts). */
  usage: ContainerUsage;
}

const RUN_FOREVER: Statement[] = [{ argv: ['sleep', 'infinity'], toStderr: false }];

function statement(...argv: string[]): Statement {
  return { argv, toStderr: false };
}

function program(statements: Statement[], announceStart: boolean, usage: ContainerUsage): ContainerProgram {
  const [only, ...rest] = statements;
  if (rest.length > 0 || only?.argv.length !== 2 || only.argv[0] !== 'sleep') {
    return { statements, announceStart, usage };
  }
  const seconds = only.argv[1] === 'infinity' ? Infinity : Number(only.argv[1]);
  // A malformed duration stays a script, so `sleep` reports it as a shell would.
  if (!(seconds >= 0)) return { statements, announceStart, usage };
  return { statements, announceStart, usage, sleepsForMs: seconds * 1000 };
}

function programFor(behaviour: string, settings: MockSettings): Statement[] {
  if (behaviour === 'fail') return [statement('echo', 'mock: failing as asked'), statement('exit', '1')];
  if (behaviour === 'flap')
    return [statement('sleep', String(settings.flapMs / 1000)), statement('exit', '1')];
  const exit = /^exit:(\d{1,3})$/.exec(behaviour);
  if (exit) return [statement('exit', exit[1]!)];
  const run = /^run:(\d+)$/.exec(behaviour);
  if (run) return [statement('sleep', String(Number(run[1]) / 1000)), statement('exit', '0')];
  throw new InvalidInputError(
    `${BEHAVIOUR_ANNOTATION}: unknown behaviour "${behaviour}" (expected fail, flap, exit:<code> or run:<ms>)`,
  );
}

/** The program of a container; throws InvalidInputError for an unknown behaviour or a bad usage annotation. */
export function containerProgram(
  pod: V1Pod,
  container: V1Container,
  init: boolean,
  settings: MockSettings,
): ContainerProgram {
  const annotations = pod.metadata?.annotations ?? {};
  const behaviour =
    annotations[`${BEHAVIOUR_ANNOTATION}.${container.name}`] ??
    (init ? undefined : annotations[BEHAVIOUR_ANNOTATION]);
  const usage = containerUsage(pod, container.name);
  if (behaviour !== undefined) return program(programFor(behaviour, settings), false, usage);
  const command = [...(container.command ?? []), ...(container.args ?? [])];
  if (command.length === 0) return program(RUN_FOREVER, true, usage);
  try {
    return program(parseCommand(command), false, usage);
  } catch (err) {
    throw new InvalidInputError(`container ${container.name}: ${errorMessage(err)}`, { cause: err });
  }
}
