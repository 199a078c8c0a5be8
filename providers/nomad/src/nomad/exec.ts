import type { MessageProtocol, SessionEvent } from '@vkubelet/provider-kit/streaming';

/** An exec frame from Nomad (api.ExecStreamingOutput). */
interface ExecOutput {
  stdout?: { data?: string; close?: boolean };
  stderr?: { data?: string; close?: boolean };
  exited?: boolean;
  result?: { exit_code?: number };
}

/**
 * Nomad's exec WebSocket (api.ExecStreamingInput/Output): stdin, its end and terminal sizes as JSON
 * frames, a `{}` heartbeat, and stdout, stderr and the exit code back.
 */
export const nomadExecProtocol: MessageProtocol = {
  stdin: data => JSON.stringify({ stdin: { data: data.toString('base64') } }),
  stdinEnd: () => JSON.stringify({ stdin: { close: true } }),
  resize: size => JSON.stringify({ tty_size: { height: size.height, width: size.width } }),
  heartbeat: { intervalMs: 10_000, message: () => '{}' },
  receive(data): SessionEvent[] {
    const frame = JSON.parse(data.toString('utf8')) as ExecOutput;
    const events: SessionEvent[] = [];
    if (frame.stdout?.data) events.push({ stdout: Buffer.from(frame.stdout.data, 'base64') });
    if (frame.stderr?.data) events.push({ stderr: Buffer.from(frame.stderr.data, 'base64') });
    if (frame.exited) events.push({ exitCode: frame.result?.exit_code ?? 0 });
    return events;
  },
};
