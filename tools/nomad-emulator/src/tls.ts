import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createCertificateAuthority } from '@vkubelet/testenv';

/** The emulator's certificates, as files (the paths NOMAD_CACERT and friends take) and as PEM. */
export interface EmulatorTls {
  dir: string;
  caFile: string;
  ca: string;
  cert: string;
  key: string;
  /** Set with mutual TLS: the client certificate a caller must present. */
  clientCert?: string;
  clientKey?: string;
  remove(): Promise<void>;
}

/**
 * A fresh CA, a serving certificate valid for 127.0.0.1, localhost and Nomad's own names
 * (`server.<region>.nomad`, and `client.<region>.nomad`, the name the api module expects when it
 * talks to a node directly), and with `mutual` a client certificate.
 */
export async function createEmulatorTls(region: string, mutual: boolean): Promise<EmulatorTls> {
  const ca = await createCertificateAuthority('vkubelet-nomad-emulator-ca');
  const serving = await ca.issueServingCert(`server.${region}.nomad`, {
    dns: ['localhost', `server.${region}.nomad`, `client.${region}.nomad`],
    ips: ['127.0.0.1'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'vkubelet-nomad-tls-'));
  const caFile = join(dir, 'nomad-agent-ca.pem');
  await writeFile(caFile, ca.certPem);
  const tls: EmulatorTls = {
    dir,
    caFile,
    ca: ca.certPem,
    cert: serving.certPem,
    key: serving.keyPem,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  if (mutual) {
    const client = await ca.issueClientCert(`cli.${region}.nomad`);
    tls.clientCert = join(dir, 'cli.pem');
    tls.clientKey = join(dir, 'cli-key.pem');
    await writeFile(tls.clientCert, client.certPem);
    await writeFile(tls.clientKey, client.keyPem, { mode: 0o600 });
  }
  return tls;
}
