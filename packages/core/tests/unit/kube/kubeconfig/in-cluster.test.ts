import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { inClusterAccess, isInCluster } from '../../../../src/kube/kubeconfig/index.js';
import { TempDir } from './temp-dir.js';

describe('inClusterAccess', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = new TempDir();
    dir.write('ca.crt', 'CA PEM');
    dir.write('token', 'projected-1\n');
  });
  afterEach(() => dir.remove());

  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it('uses the service host and port, the mounted CA and token', async () => {
    const access = inClusterAccess({ env, serviceAccountDir: dir.path });
    expect(isInCluster(env)).toBe(true);
    expect(access.server).toBe('https://10.96.0.1:443');
    const { headers, tls } = await access.credentials();
    expect(headers).toEqual({ authorization: 'Bearer projected-1' });
    expect(tls).toMatchObject({ ca: 'CA PEM', insecureSkipVerify: false });
  });

  it('reads the token again when the kubelet rotates it', async () => {
    const access = inClusterAccess({ env, serviceAccountDir: dir.path, fileCheckIntervalMs: 0 });
    await access.credentials();
    dir.write('token', 'projected-2-longer\n');
    expect((await access.credentials()).headers['authorization']).toBe('Bearer projected-2-longer');
  });

  it('brackets an IPv6 service host', () => {
    const v6 = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' };
    expect(inClusterAccess({ env: v6, serviceAccountDir: dir.path }).server).toBe('https://[fd00::1]:443');
  });

  it('says what is missing outside a cluster', () => {
    expect(isInCluster({})).toBe(false);
    expect(() => inClusterAccess({ env: {}, serviceAccountDir: dir.path })).toThrow(
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/,
    );
    expect(() => inClusterAccess({ env, serviceAccountDir: `${dir.path}/nope` })).toThrow(
      /in-cluster CA: cannot read .*nope\/ca\.crt/,
    );
  });
});
