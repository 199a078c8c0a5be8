import { Writable } from 'node:stream';

import { execInContainer, type ContainerRun } from '@vkubelet/provider-kit/mock';
import { errorMessage } from '@vkubelet/provider-kit';

import type { ContainerGroup } from '../groups/group.js';
import { apiErrors } from '../rpc/errors.js';
import type { ActionContext, Wire } from './context.js';

const MAX_COMMANDS = 20;
const MAX_COMMAND_LENGTH = 256;
const MAX_SYNC_OUTPUT = 1024 * 1024;

/**
 * ExecContainerCommand. `Command` is a JSON array (at most 20 items of at most 256 characters).
 * With `Sync` the command runs now (no TTY) and `SyncResponse` holds its output, stdout and stderr
 * interleaved; ECI's answer carries no exit code. Otherwise the answer holds a WebSocketUri (and an
 * HttpUrl for a browser) that opens one interactive session within a short time.
 */
export async function execContainerCommand({ service, params }: ActionContext): Promise<Wire> {
  const group = service.store.require(params.requiredString('ContainerGroupId'));
  const containerName = params.requiredString('ContainerName');
  const command = params.jsonStrings('Command', { max: MAX_COMMANDS }) ?? [];
  if (command.length === 0) throw apiErrors.missingParameter('Command');
  if (command.some(part => part.length > MAX_COMMAND_LENGTH)) {
    throw apiErrors.invalidParameter('Command', `Each item holds at most ${MAX_COMMAND_LENGTH} characters.`);
  }
  const tty = params.boolean('TTY') ?? false;
  const stdin = params.boolean('Stdin') ?? true;
  const sync = params.boolean('Sync') ?? false;
  if (sync && tty) throw apiErrors.invalidParameter('TTY', 'TTY must be false when Sync is true.');
  const run = runningContainer(group, containerName);
  if (sync) return { SyncResponse: await runSync(run, command, group, service.timing.syncExecTimeoutMs) };
  const token = service.sessions.grant({
    containerGroupId: group.id,
    containerName,
    command,
    tty,
    stdin,
    expiresAt: Date.now() + service.timing.execSessionMs,
  });
  const endpoint = new URL(service.endpoint);
  return {
    WebSocketUri: `ws://${endpoint.host}/exec/?s=${token}`,
    HttpUrl: `${endpoint.origin}/terminal?param=${token}`,
  };
}

/** The container must exist and run, in a group that runs. */
export function runningContainer(group: ContainerGroup, name: string): ContainerRun {
  const declared = [...group.spec.containers, ...group.spec.initContainers].some(
    container => container.name === name,
  );
  if (!declared) throw apiErrors.invalidParameter('ContainerName', `No container ${name} in ${group.id}.`);
  const run = group.containerRun(name);
  if (group.status() !== 'Running' || !run?.state.running) throw apiErrors.incorrectContainerStatus(name);
  return run;
}

async function runSync(
  run: ContainerRun,
  command: string[],
  group: ContainerGroup,
  timeoutMs: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (size < MAX_SYNC_OUTPUT) chunks.push(chunk.subarray(0, MAX_SYNC_OUTPUT - size));
      size += chunk.length;
      callback();
    },
  });
  const stopped = group.podRuntime?.signal;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(stopped ? [stopped] : [])]);
  try {
    await execInContainer(run, command, { stdout: output, stderr: output, tty: false }, signal);
  } catch (error) {
    // A command cut short (timeout, container stopped) answers with its output so far; one the
    // shell cannot even parse is the caller's error.
    if (!signal.aborted) {
      throw apiErrors.invalidParameter('Command', errorMessage(error));
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
