import { randomBytes } from 'node:crypto';

/** A word as sh reads it inside single quotes. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The exit code of a command run on ACI's exec terminal, which reports none: the command is typed
 * into a shell between two marker lines, `<nonce>S` before it and `<nonce>E <status>` after it, each
 * printed by `echo "<nonce>""S"` so that the shell's echo of the typed line never contains a marker.
 * Everything before the start marker (prompt, echo, `stty` complaints) and after the end marker (the
 * shell's exit) is dropped; what is between is the command's output, passed on as it arrives except
 * for a tail that could be the start of the end marker.
 */
export class ShellMarker {
  private readonly start: RegExp;
  private readonly end: RegExp;
  private readonly endPrefix: string;
  private phase: 'preamble' | 'output' | 'done' = 'preamble';
  private buffer = '';
  /** The command's exit status, once its end marker arrived. */
  exitCode: number | undefined;

  /** `nonce`: letters and digits only; a random one by default. */
  constructor(private readonly nonce = `vk${randomBytes(8).toString('hex')}`) {
    this.start = new RegExp(`${nonce}S\\r?\\n`);
    this.end = new RegExp(`${nonce}E (\\d+)\\r?\\n`);
    this.endPrefix = `${nonce}E `;
  }

  /**
   * The line to type into the shell: terminal echo off (so stdin given to the command is not echoed
   * back), the markers around the command, then `exit`.
   */
  line(command: readonly string[]): string {
    const quoted = command.map(shellQuote).join(' ');
    return `stty -echo 2>/dev/null; echo "${this.nonce}""S"; ${quoted}; echo "${this.nonce}""E $?"; exit\r`;
  }

  /** Takes terminal output; returns the part that is the command's. */
  push(text: string): string {
    if (this.phase === 'done') return '';
    this.buffer += text;
    if (this.phase === 'preamble') {
      const start = this.start.exec(this.buffer);
      if (!start) {
        // Only the tail can still hold the start marker.
        if (this.buffer.length > 4096) this.buffer = this.buffer.slice(-64);
        return '';
      }
      this.buffer = this.buffer.slice(start.index + start[0].length);
      this.phase = 'output';
    }
    const end = this.end.exec(this.buffer);
    if (end) {
      const output = this.buffer.slice(0, end.index);
      this.exitCode = Number(end[1]);
      this.phase = 'done';
      this.buffer = '';
      return output;
    }
    const hold = this.heldBack();
    const output = this.buffer.slice(0, this.buffer.length - hold);
    this.buffer = this.buffer.slice(this.buffer.length - hold);
    return output;
  }

  /** What is still held back when the session ends without an end marker. */
  flush(): string {
    const rest = this.phase === 'output' ? this.buffer : '';
    this.buffer = '';
    return rest;
  }

  /** Characters at the end of the buffer that may be the beginning of the end marker. */
  private heldBack(): number {
    const marker = this.buffer.lastIndexOf(this.endPrefix);
    if (marker >= 0 && /^\d*\r?$/.test(this.buffer.slice(marker + this.endPrefix.length)))
      return this.buffer.length - marker;
    for (let length = Math.min(this.endPrefix.length, this.buffer.length); length > 0; length--) {
      if (this.buffer.endsWith(this.endPrefix.slice(0, length))) return length;
    }
    return 0;
  }
}
