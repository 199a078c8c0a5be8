import { errorMessage } from '@vkubelet/provider-kit';

import type { ClusterAccess } from '../kube/kubeconfig/index.js';

/**
 * Error codes of a connection that never got an HTTP answer: refused, unresolvable, timed out, or a
 * TLS handshake that failed (Node's and undici's codes).
 */
const NETWORK_CODE =
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|UND_ERR_SOCKET)$/;
const TLS_CODE = /^(ERR_TLS_\w+|ERR_SSL_\w+|\w*CERT\w*|UNABLE_TO_\w+)$/;

/** Node's advice for an unknown CA names one of its own flags, which this command does not have. */
const NODE_CA_HINT = /;? ?if the root CA is installed locally, try running Node\.js with --use-system-ca/;

function* causes(err: unknown): Generator<unknown> {
  for (let current: unknown = err, depth = 0; current !== undefined && depth < 10; depth++) {
    yield current;
    current = current instanceof Error ? current.cause : undefined;
  }
}

/**
 * The innermost error that is a failed connection to `server`, if `err` is one: a network error
 * for the server's port (a provider's own connections have other ports or sockets), or a failed
 * TLS handshake.
 */
function connectionFailure(err: unknown, server: string): { error: Error; tls: boolean } | undefined {
  const url = new URL(server);
  const serverPort = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let found: { error: Error; tls: boolean } | undefined;
  for (const cause of causes(err)) {
    if (!(cause instanceof Error)) continue;
    const { code, port } = cause as NodeJS.ErrnoException & { port?: unknown };
    if (typeof code !== 'string') continue;
    if (TLS_CODE.test(code)) found = { error: cause, tls: true };
    else if (NETWORK_CODE.test(code) && (port === undefined || port === serverPort)) {
      found = { error: cause, tls: false };
    }
  }
  return found;
}

/** Messages on one line: newlines become "; ", Node's flag advice goes. */
export function oneLine(text: string): string {
  return text
    .replace(NODE_CA_HINT, '')
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(Boolean)
    .join('; ')
    .replaceAll(':; ', ': ');
}

/**
 * Why the agent could not run, in one line for the terminal. A failed connection to the API server
 * names the server and where its address came from (the kubeconfig), whatever part noticed it.
 */
export function describeFailure(err: unknown, access?: ClusterAccess): string {
  const connection = access && connectionFailure(err, access.server);
  if (access && connection) {
    const hint = connection.tls
      ? " (is the kubeconfig's certificate-authority the CA that signed the server's certificate?)"
      : '';
    return oneLine(
      `cannot reach the API server ${access.server} (${access.description}): ${errorMessage(connection.error)}${hint}`,
    );
  }
  return oneLine(errorMessage(err));
}
