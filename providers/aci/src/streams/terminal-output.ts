/**
 * ACI runs exec on a terminal, which writes every newline as CR LF. A client without a terminal
 * (`kubectl exec` without `-t`) gets LF, as from a pipe; a CR at the end of a chunk waits for the next.
 */
export class TerminalNewlines {
  private pendingCr = false;

  constructor(private readonly toLf: boolean) {}

  push(text: string): string {
    if (!this.toLf) return text;
    let input = this.pendingCr ? `\r${text}` : text;
    this.pendingCr = input.endsWith('\r');
    if (this.pendingCr) input = input.slice(0, -1);
    return input.replaceAll('\r\n', '\n');
  }

  flush(): string {
    const rest = this.pendingCr ? '\r' : '';
    this.pendingCr = false;
    return rest;
  }
}
