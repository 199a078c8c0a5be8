import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCertificateAuthority } from '@vkubelet/testenv';

/** The emulator's certificates: a fresh CA, a serving certificate for loopback, and the CA on disk. */
export interface EmulatorTls {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** The CA certificate as a PEM file, for `NODE_EXTRA_CA_CERTS` or a client's `ca` option. */
  caFile: string;
  /** Removes the temporary directory holding `caFile`. */
  remove(): Promise<void>;
}

/**
 * Azure's SDK refuses to send bearer tokens over plain HTTP, so the emulator serves HTTPS under a
 * certificate from its own CA (the test environment's PKI helper), valid for localhost and loopback.
 */
export async function createEmulatorTls(hosts: readonly string[]): Promise<EmulatorTls> {
  const ca = await createCertificateAuthority('vkubelet-aci-emulator-ca');
  const ips = hosts.filter(host => /^[\d.]+$|:/.test(host));
  const dns = hosts.filter(host => !ips.includes(host));
  const serving = await ca.issueServingCert('vkubelet-aci-emulator', { dns, ips });
  const dir = await mkdtemp(join(tmpdir(), 'vkubelet-aci-emulator-'));
  const caFile = join(dir, 'ca.crt');
  await writeFile(caFile, ca.certPem, { mode: 0o644 });
  return {
    caPem: ca.certPem,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    caFile,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
