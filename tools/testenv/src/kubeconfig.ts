// Self-contained kubeconfigs (certificates embedded), written as JSON: JSON is YAML, so kubectl,
// client-go and @kubernetes/client-node all read it, and no YAML library is needed here.
import type { PemPair } from './pki.js';

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function renderKubeconfig(params: {
  server: string;
  caCertPem: string;
  userName: string;
  client: PemPair;
}): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'vkubelet-testenv',
        cluster: { server: params.server, 'certificate-authority-data': base64(params.caCertPem) },
      },
    ],
    users: [
      {
        name: params.userName,
        user: {
          'client-certificate-data': base64(params.client.certPem),
          'client-key-data': base64(params.client.keyPem),
        },
      },
    ],
    contexts: [{ name: 'vkubelet-testenv', context: { cluster: 'vkubelet-testenv', user: params.userName } }],
    'current-context': 'vkubelet-testenv',
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
