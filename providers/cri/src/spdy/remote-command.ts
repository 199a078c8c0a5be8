import type { AttachIO } from '@vkubelet/provider-kit';

import { exitCodeOf } from '../streaming.js';
import { connectSpdy } from './client.js';

/**
 * Runs an exec or attach session on a runtime streaming URL over SPDY (remote command v4): one
 * stream per stdio channel named by its `streamType` header, an `error` stream carrying the final
 * Status, and a `resize` stream for terminals. Stdin EOF half-closes the stdin stream, so commands
 * like `cat` end when their input does.
 */
export async function runRemoteCommandSpdy(url: string, io: AttachIO, signal: AbortSignal): Promise<number> {
  const spdy = await connectSpdy(url, ['v4.channel.k8s.io'], signal);
  return new Promise<number>((resolve, reject) => {
    let errorText = '';
    let settled = false;
    const outputs = new Set<string>();
    const settle = (error?: Error, code?: number): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      spdy.close();
      if (error) reject(error);
      else resolve(code ?? 0);
    };
    const onAbort = (): void => settle(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    spdy.onClose(error => settle(error ?? new Error('streaming connection closed before the command ended')));

    const finishIfDone = (): void => {
      // The server closes the error stream after writing the Status; output streams may still drain.
      if (outputs.size > 0 || !errorDone) return;
      try {
        settle(undefined, exitCodeOf(errorText));
      } catch (error) {
        settle(error as Error);
      }
    };
    let errorDone = false;

    void (async () => {
      await spdy.openStream(
        { streamType: 'error' },
        {
          onData: data => (errorText += data.toString('utf8')),
          onEnd: () => {
            errorDone = true;
            finishIfDone();
          },
        },
      );
      const output = async (
        type: 'stdout' | 'stderr',
        target: NodeJS.WritableStream | undefined,
      ): Promise<void> => {
        outputs.add(type);
        await spdy.openStream(
          { streamType: type },
          {
            onData: data => target?.write(data),
            onEnd: () => {
              outputs.delete(type);
              finishIfDone();
            },
          },
        );
      };
      if (io.stdin) {
        const stdin = io.stdin;
        const id = await spdy.openStream({ streamType: 'stdin' }, {});
        stdin.on('data', (chunk: Buffer | string) => spdy.write(id, Buffer.from(chunk)));
        stdin.once('end', () => spdy.write(id, Buffer.alloc(0), true));
      }
      if (io.stdout) await output('stdout', io.stdout);
      if (io.stderr && !io.tty) await output('stderr', io.stderr);
      if (io.tty) {
        const id = await spdy.openStream({ streamType: 'resize' }, {});
        if (io.resize) {
          for await (const size of io.resize) {
            spdy.write(id, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })));
          }
        }
      }
    })().catch((error: unknown) => settle(error as Error));
  });
}
