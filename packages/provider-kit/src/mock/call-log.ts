import { createWriteStream, type WriteStream } from 'node:fs';

export type LoggedStep = 'createPod' | 'running' | 'deletePod';

/**
 * Optional JSON-lines record of when the mock saw each pod's lifecycle steps (`{"t": epoch ms, "op",
 * "pod": "ns/name"}`), so a benchmark outside the agent process can time what happens between the
 * API server and the provider. Written asynchronously so it costs the agent almost nothing.
 */
export class CallLog {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  record(op: LoggedStep, namespace: string, name: string): void {
    this.stream.write(`${JSON.stringify({ t: Date.now(), op, pod: `${namespace}/${name}` })}\n`);
  }

  close(): Promise<void> {
    return new Promise(resolve => this.stream.end(resolve));
  }
}
