// The `virtual-kubelet` command line of a stack's node.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { errorMessage } from '@vkubelet/provider-kit';

import { virtualKubeletCli } from './paths.js';

const run = promisify(execFile);

export interface AgentArgsOptions {
  provider: string;
  nodeName: string;
  kubeconfig: string;
  /** The node's published address; the kubelet API listens on it, on a port chosen at start-up. */
  address: string;
  /** Cluster CA: the API server's kubelet client and metrics-server present certs it signed. */
  clientCaFile?: string;
  tls?: { certFile: string; keyFile: string };
  providerConfigFile?: string;
  /** The stack's own control plane has no other node: pods need no toleration there. */
  disableTaint: boolean;
  /** The backend's flags, then the user's: later flags win, so the user's override the stack's. */
  extraFlags?: readonly string[];
}

export function agentArgs(options: AgentArgsOptions): string[] {
  return [
    '--provider',
    options.provider,
    '--nodename',
    options.nodeName,
    '--kubeconfig',
    options.kubeconfig,
    '--listen-address',
    `${options.address}:0`,
    '--node-ip',
    options.address,
    '--metrics-addr',
    '127.0.0.1:0',
    ...(options.clientCaFile ? ['--client-ca-file', options.clientCaFile] : []),
    ...(options.tls
      ? ['--tls-cert-file', options.tls.certFile, '--tls-private-key-file', options.tls.keyFile]
      : []),
    ...(options.providerConfigFile ? ['--provider-config', options.providerConfigFile] : []),
    ...(options.disableTaint ? ['--disable-taint'] : []),
    ...(options.extraFlags ?? []),
  ];
}

/**
 * Undefined when virtual-kubelet can load `provider`, else its one-line reason (e.g. the provider
 * package exports no plugin yet). Asked before anything starts, through the command itself.
 */
export async function providerUnavailable(provider: string): Promise<string | undefined> {
  try {
    await run(process.execPath, [virtualKubeletCli, 'providers', provider], { timeout: 60_000 });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return stderr || errorMessage(error);
  }
}
