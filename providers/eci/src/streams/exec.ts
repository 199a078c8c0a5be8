import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

import {
  errorMessage,
  InvalidInputError,
  noopLogger,
  type AttachIO,
  type Logger,
} from '@vkubelet/provider-kit';
import {
  remoteCommandOverWebSocket,
  REMOTECOMMAND_V4,
  REMOTECOMMAND_V5,
} from '@vkubelet/provider-kit/streaming';

import type { EciClient } from '../client/eci-client.js';
import type { ExecContainerCommandResponse } from '../client/wire.js';
import { newNonce, sentinelCommand, SentinelFilter, splitSentinel } from './sentinel.js';

/** ECI: `Command` holds at most 20 items of at most 256 characters. */
const MAX_ITEMS = 20;
const MAX_ITEM_LENGTH = 256;

export type ExecTransport = 'auto' | 'websocket' | 'sync';

export interface ExecTarget {
  containerGroupId: string;
  container: string;
}

export interface ExecOptions {
  signal: AbortSignal;
  /** Wrap the command for its exit code when ECI would report none (see sentinelCommand). */
  sentinel: boolean;
}

/**
 * What ECI's exec WebSocket has shown it speaks: the Kubernetes channel protocol with a status
 * channel (v5/v4 chosen: an exit status, and with v5 the end of stdin), or plain channels only.
 */
type Channels = 'unknown' | 'status' | 'plain';

/**
 * `kubectl exec` on ECI (ExecContainerCommand). One-shot commands that need no stdin, tty nor a
 * separate stderr run with `Sync` (one request, the output in the answer); everything else on the
 * session's WebSocket, the Kubernetes channel protocol. The exit code is the session's status when
 * the server offers v5/v4 (learned on the first session), else a shell sentinel's (see
 * sentinelCommand); an interactive (tty) session is never wrapped.
 */
export class EciExec {
  private channels: Channels = 'unknown';
  private readonly logger: Logger;

  constructor(
    private readonly client: EciClient,
    private readonly transport: ExecTransport,
    logger?: Logger,
  ) {
    this.logger = logger ?? noopLogger;
  }

  run(target: ExecTarget, command: string[], io: AttachIO, options: ExecOptions): Promise<number> {
    if (command.length === 0) throw new InvalidInputError('exec needs a command');
    const oneShot = !io.stdin && !io.tty;
    const sync = oneShot && (this.transport === 'sync' || (this.transport === 'auto' && !io.stderr));
    return sync ? this.runSync(target, command, io, options) : this.runSession(target, command, io, options);
  }

  private async runSync(
    target: ExecTarget,
    command: string[],
    io: AttachIO,
    options: ExecOptions,
  ): Promise<number> {
    const nonce = options.sentinel ? newNonce() : undefined;
    const out = await this.request(target, command, nonce, options.signal, {
      Sync: true,
      TTY: false,
      Stdin: false,
    });
    const answer = out.SyncResponse ?? '';
    if (!nonce) {
      await write(io.stdout, answer);
      return 0;
    }
    const { output, exitCode } = splitSentinel(answer, nonce);
    await write(io.stdout, output);
    if (exitCode === undefined) {
      throw new Error(
        'ECI answered without the exit status: the command was cut short (ECI ends Sync commands)',
      );
    }
    return exitCode;
  }

  private async runSession(
    target: ExecTarget,
    command: string[],
    io: AttachIO,
    options: ExecOptions,
  ): Promise<number> {
    const nonce = options.sentinel && !io.tty && this.channels !== 'status' ? newNonce() : undefined;
    const offer = this.channels === 'plain' ? [] : [REMOTECOMMAND_V5, REMOTECOMMAND_V4];
    try {
      const code = await this.session(target, command, io, options.signal, offer, nonce);
      if (offer.length > 0) this.channels = 'status';
      return code;
    } catch (error) {
      if (offer.length === 0 || !/no subprotocol/i.test(errorMessage(error))) throw error;
      // The server speaks plain channels (as ECI's own clients use it): say so from now on.
      this.channels = 'plain';
      this.logger.info('ECI exec sessions carry no exit status; commands are wrapped for it');
      const wrap = options.sentinel && !io.tty ? (nonce ?? newNonce()) : undefined;
      return this.session(target, command, io, options.signal, [], wrap);
    }
  }

  /** One ExecContainerCommand session on its WebSocket; the exit code by the sentinel when wrapped. */
  private async session(
    target: ExecTarget,
    command: string[],
    io: AttachIO,
    signal: AbortSignal,
    protocols: string[],
    nonce: string | undefined,
  ): Promise<number> {
    const mode = { Sync: false, TTY: io.tty, Stdin: Boolean(io.stdin) };
    const out = await this.request(target, command, nonce, signal, mode);
    if (!out.WebSocketUri) throw new Error('ExecContainerCommand answered without a WebSocketUri');
    const filter = nonce && io.stdout ? new SentinelFilter(nonce) : undefined;
    if (filter) filter.pipe(io.stdout!, { end: false });
    const code = await remoteCommandOverWebSocket(out.WebSocketUri, filter ? { ...io, stdout: filter } : io, {
      signal,
      protocols,
    }).finally(() => filter?.end());
    if (!filter) return code;
    await finished(filter);
    if (filter.exitCode === undefined)
      throw new Error('the exec session ended before the command reported its exit status');
    return filter.exitCode;
  }

  /** ExecContainerCommand for `command`, wrapped in the sentinel when there is a nonce. */
  private request(
    target: ExecTarget,
    command: string[],
    nonce: string | undefined,
    signal: AbortSignal,
    mode: { Sync: boolean; TTY: boolean; Stdin: boolean },
  ): Promise<ExecContainerCommandResponse> {
    const argv = nonce ? sentinelCommand(command, nonce) : command;
    if (argv.length > MAX_ITEMS || argv.some(item => item.length > MAX_ITEM_LENGTH)) {
      throw new InvalidInputError(
        `command: ECI runs commands of at most ${MAX_ITEMS} items of ${MAX_ITEM_LENGTH} characters` +
          (nonce ? `, ${argv.length - command.length} of them for the exit-code sentinel` : ''),
      );
    }
    // Not idempotent: a command sent again would run twice.
    return this.client.request<ExecContainerCommandResponse>(
      'ExecContainerCommand',
      {
        ContainerGroupId: target.containerGroupId,
        ContainerName: target.container,
        Command: JSON.stringify(argv),
        ...mode,
      },
      { signal },
    );
  }
}

function write(target: Writable | undefined, text: string): Promise<void> {
  if (!target || text.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => target.write(text, error => (error ? reject(error) : resolve())));
}
