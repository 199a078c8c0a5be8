import type { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import type { AttachIO } from '@vkubelet/provider-kit';
import type { MessageProtocol } from '@vkubelet/provider-kit/streaming';

import { callArm } from '../azure/errors.js';
import { firstTerminalSize, runSession, terminalInput } from './session.js';
import { ShellMarker } from './shell-marker.js';
import { TerminalNewlines } from './terminal-output.js';

export interface ExecTarget {
  client: ContainerInstanceManagementClient;
  resourceGroup: string;
  group: string;
  container: string;
  /** `shell`: exit codes through ShellMarker; `none`: the command as it is, exit code 0. */
  exitCode: 'shell' | 'none';
  shell: string;
  ca?: string | undefined;
}

/** ACI's default terminal when the client has none (the width keeps long lines on one line). */
const NO_TTY_SIZE = { rows: 24, cols: 200 };
/** How long a terminal client gets to say its size before the exec starts at the default. */
const SIZE_WAIT_MS = 1_000;

/**
 * How a command runs: through the shell with markers (its exit code is then known), or as it is.
 * A single word with stdin (`cat`, an interactive `sh`) runs as it is even in `shell` mode: it owns
 * the terminal, and ACI starts a single executable fine.
 */
export function execMode(
  target: Pick<ExecTarget, 'exitCode'>,
  command: readonly string[],
  io: Pick<AttachIO, 'stdin'>,
): 'marked' | 'direct' {
  if (target.exitCode === 'none') return 'direct';
  return io.stdin && command.length === 1 ? 'direct' : 'marked';
}

/**
 * Exec over ACI: `executeCommand` grants a WebSocket with the terminal size fixed (ACI takes no
 * resize later), the password goes first, then stdin; output is the terminal's, stdout and stderr
 * merged (ACI has one stream). ACI reports no exit status: in `marked` mode the command is typed
 * into `shell` between marker lines and its status read back (see ShellMarker); in `direct` mode
 * (and `exitCode: none`) the command string goes as ACI takes it (one executable) and a normal end
 * counts as 0, as upstream's provider reported it.
 */
export async function execInAci(
  target: ExecTarget,
  command: string[],
  io: AttachIO,
  signal: AbortSignal,
): Promise<number> {
  const mode = execMode(target, command, io);
  const size = io.tty ? ((await firstTerminalSize(io.resize, SIZE_WAIT_MS)) ?? undefined) : undefined;
  const terminalSize = size ? { rows: size.height, cols: size.width } : NO_TTY_SIZE;
  const grant = await callArm('Containers_ExecuteCommand', () =>
    target.client.containers.executeCommand(
      target.resourceGroup,
      target.group,
      target.container,
      { command: mode === 'marked' ? target.shell : command.join(' '), terminalSize },
      { abortSignal: signal },
    ),
  );
  const newlines = new TerminalNewlines(!io.tty);
  const marker = mode === 'marked' ? new ShellMarker() : undefined;
  const protocol: MessageProtocol = {
    open: () => [grant.password ?? '', ...(marker ? [marker.line(command)] : [])],
    ...terminalInput(),
    receive(data) {
      const text = data.toString('utf8');
      const output = newlines.push(marker ? marker.push(text) : text);
      const events = output ? [{ stdout: Buffer.from(output) }] : [];
      return marker?.exitCode !== undefined ? [...events, { exitCode: marker.exitCode }] : events;
    },
  };
  const what = `exec in container ${target.container} of ${target.group}`;
  const code = await runSession(grant, io, protocol, what, { ca: target.ca, signal });
  if (mode === 'direct') return code ?? 0;
  if (code === undefined) {
    const rest = newlines.push(marker!.flush()) + newlines.flush();
    if (rest && io.stdout) io.stdout.write(rest);
    throw new Error(`${what}: the shell ended before reporting the exit status of the command`);
  }
  return code;
}
