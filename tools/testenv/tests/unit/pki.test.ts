import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, createServiceAccountKey } from '../../src/pki.js';

describe('test PKI', () => {
  it('issues client certs whose subject carries the user and its groups, signed by the CA', async () => {
    const ca = await createCertificateAuthority();
    const client = await ca.issueClientCert('system:node:vk-1', ['system:nodes', 'extra']);
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(client.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject.split('\n')).toEqual(['CN=system:node:vk-1', 'O=system:nodes', 'O=extra']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.checkPrivateKey(createPrivateKey(client.keyPem))).toBe(true);
  });

  it('keeps a comma in a user name inside the common name', async () => {
    const ca = await createCertificateAuthority();
    const cert = new X509Certificate((await ca.issueClientCert('doe, jane', [])).certPem);
    expect(cert.subject).toBe('CN=doe\\, jane');
  });

  it('issues serving certs for the requested DNS names and IPs', async () => {
    const ca = await createCertificateAuthority();
    const serving = await ca.issueServingCert('kube-apiserver', {
      dns: ['localhost'],
      ips: ['127.0.0.1', '10.0.0.1'],
    });
    const cert = new X509Certificate(serving.certPem);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:10.0.0.1');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
  });

  it('writes the service-account public key as the public half of the private key', async () => {
    const { privateKeyPem, publicKeyPem } = await createServiceAccountKey();
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const derived = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' });
    expect(derived.toString().replace(/\s/g, '')).toBe(publicKeyPem.replace(/\s/g, ''));
  });
});
