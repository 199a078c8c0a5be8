import { spawn, type ChildProcess } from 'node:child_process';

/** A long-running kubectl (logs -f, exec, port-forward) whose output the test watches as it comes. */
export interface RunningKubectl {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function spawnKubectl(kubectlPath: string, kubeconfig: string, args: string[]): RunningKubectl {
  const child = spawn(kubectlPath, [`--kubeconfig=${kubeconfig}`, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a command line under `script`, which gives it a pseudo-terminal (kubectl -t needs one). */
export function spawnInTerminal(commandLine: string): RunningKubectl {
  const child = spawn('script', ['-qec', commandLine, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
