// The stack's own certificates, next to the control plane's cluster CA (which signs every client
// identity: the node, metrics-server, the API server's kubelet client). One stack CA signs what is
// served or proxied around the API server:
// - the kubelet API's serving cert, for the node's address: metrics-server verifies it;
// - metrics-server's serving cert, for the name the aggregator dials: the APIService's caBundle;
// - the aggregator's front-proxy client cert, which metrics-server trusts through
//   --requestheader-client-ca-file (published in kube-system/extension-apiserver-authentication).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createCertificateAuthority } from '@vkubelet/testenv';

import { METRICS_SERVER_SERVICE } from './metrics-server.js';

export const FRONT_PROXY_CLIENT = 'front-proxy-client';

export interface StackPki {
  caCert: string;
  caPem: string;
  kubeletCert: string;
  kubeletKey: string;
  metricsServerCert: string;
  metricsServerKey: string;
  frontProxyCert: string;
  frontProxyKey: string;
}

export async function writeStackPki(dir: string, node: { name: string; address: string }): Promise<StackPki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority('vkubelet-stack-ca');
  const [kubelet, metricsServer, frontProxy] = await Promise.all([
    ca.issueServingCert(`system:node:${node.name}`, { dns: [node.name], ips: [node.address] }),
    ca.issueServingCert(METRICS_SERVER_SERVICE.dnsName, {
      dns: [METRICS_SERVER_SERVICE.dnsName, 'localhost'],
      ips: ['127.0.0.1'],
    }),
    ca.issueClientCert(FRONT_PROXY_CLIENT),
  ]);
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  return {
    caCert: file('stack-ca.crt', ca.certPem),
    caPem: ca.certPem,
    kubeletCert: file('kubelet.crt', kubelet.certPem),
    kubeletKey: file('kubelet.key', kubelet.keyPem),
    metricsServerCert: file('metrics-server.crt', metricsServer.certPem),
    metricsServerKey: file('metrics-server.key', metricsServer.keyPem),
    frontProxyCert: file('front-proxy-client.crt', frontProxy.certPem),
    frontProxyKey: file('front-proxy-client.key', frontProxy.keyPem),
  };
}

/** kube-apiserver flags for the aggregation layer (what kubeadm sets), so APIServices can be served. */
export function aggregationLayerFlags(pki: StackPki): string[] {
  return [
    `--requestheader-client-ca-file=${pki.caCert}`,
    `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${pki.frontProxyCert}`,
    `--proxy-client-key-file=${pki.frontProxyKey}`,
  ];
}
