import type { Logger } from '@vkubelet/provider-kit';

import type { KubeletServerOptions } from '../options.js';
import { CsrCertificateSource } from './csr-source.js';
import { FileCertificateSource } from './file-source.js';
import { SelfSignedSource } from './self-signed.js';
import type { CertificateSource } from './types.js';

/**
 * The certificate source the TLS options ask for. Self-signed and CSR certificates name the node,
 * localhost, 127.0.0.1 and a specific listen address unless `hosts` says otherwise.
 */
export function certificateSource(
  options: Pick<KubeletServerOptions, 'nodeName' | 'listen' | 'tls'>,
  logger: Logger,
): CertificateSource {
  const tls = options.tls;
  const listenHost = options.listen?.host;
  const defaultHosts = [options.nodeName, 'localhost', '127.0.0.1'];
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::') defaultHosts.push(listenHost);
  if ('certFile' in tls) return new FileCertificateSource(tls.certFile, tls.keyFile, logger);
  if ('selfSigned' in tls) return new SelfSignedSource(options.nodeName, tls.hosts ?? defaultHosts);
  return new CsrCertificateSource({
    ...tls.csr,
    nodeName: options.nodeName,
    hosts: tls.csr.hosts ?? defaultHosts,
    logger,
  });
}
