import {
  errorMessage,
  InvalidInputError,
  TransientError,
  type AttachIO,
  type TerminalSize,
} from '@vkubelet/provider-kit';
import { bridgeWebSocket, dialWebSocket, type MessageProtocol } from '@vkubelet/provider-kit/streaming';

/** A WebSocket ACI granted: its URI and the password the first frame must carry. */
export interface StreamGrant {
  webSocketUri?: string | undefined;
  password?: string | undefined;
}

export interface SessionOptions {
  /** PEM of an extra CA to trust (the config's caFile). */
  ca?: string | undefined;
  signal: AbortSignal;
  /** Send the password as the Authorization header too (what the API definition says for attach). */
  passwordHeader?: boolean;
}

const CTRL_D = 0x04;

/**
 * Connects to an exec or attach WebSocket ACI granted and runs `protocol` over it with
 * `bridgeWebSocket`. Resolves with the exit code the protocol found, if any, once ACI closes the
 * socket normally; a close ACI uses for a container that is not running, or that stopped under the
 * session, is an error saying so.
 */
export async function runSession(
  grant: StreamGrant,
  io: AttachIO,
  protocol: MessageProtocol,
  what: string,
  options: SessionOptions,
): Promise<number | undefined> {
  if (!grant.webSocketUri || grant.password === undefined)
    throw new TransientError(`${what}: ACI granted no WebSocket`);
  const ws = await dialWebSocket(grant.webSocketUri, {
    signal: options.signal,
    ...(options.passwordHeader ? { headers: { Authorization: grant.password } } : {}),
    clientOptions: options.ca ? { ca: options.ca } : {},
  }).catch((err: unknown) => {
    throw new TransientError(`${what}: ${errorMessage(err)}`, { cause: err });
  });
  let closeCode = 1005;
  let closeReason = '';
  ws.once('close', (code: number, reason: Buffer) => {
    closeCode = code;
    closeReason = reason.toString();
  });
  const code = await bridgeWebSocket(ws, io, protocol, options.signal);
  if (closeCode === 1011)
    throw new InvalidInputError(`${what}: ${closeReason || 'the container is not running'}`);
  if (closeCode === 1001) throw new TransientError(`${what}: the container stopped during the session`);
  if (closeCode === 1008) throw new TransientError(`${what}: ACI refused the session (${closeReason})`);
  return code;
}

/**
 * Stdin as a terminal takes it: bytes as they come, and at the end Ctrl-D, twice after an
 * unfinished line (the first only ends the line), so the process reads end of input.
 */
export function terminalInput(): Pick<MessageProtocol, 'stdin' | 'stdinEnd'> {
  let lastByte: number | undefined;
  return {
    stdin: data => {
      if (data.length > 0) lastByte = data[data.length - 1];
      return data;
    },
    stdinEnd: () =>
      Buffer.from(
        lastByte === undefined || lastByte === 0x0a || lastByte === 0x0d ? [CTRL_D] : [CTRL_D, CTRL_D],
      ),
  };
}

/** The first terminal size the client sends, if it sends one within `waitMs`. */
export async function firstTerminalSize(
  sizes: AsyncIterable<TerminalSize> | undefined,
  waitMs: number,
): Promise<TerminalSize | undefined> {
  if (!sizes) return undefined;
  const iterator = sizes[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>(resolve => (timer = setTimeout(() => resolve(undefined), waitMs)));
  try {
    const first = await Promise.race([iterator.next(), timeout]);
    return first && !first.done ? first.value : undefined;
  } finally {
    clearTimeout(timer);
  }
}
