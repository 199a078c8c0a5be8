import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startControlPlane, type ControlPlane } from '@vkubelet/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify as toYaml } from 'yaml';

import { exec, REPO_ROOT } from '../../src/index.js';
import { kubectlOk } from '../support/cluster.js';

/**
 * Every Kubernetes manifest under providers/<name>/deploy/ passes a server-side dry run with strict
 * field validation against the test API server, and deploy/node-identity.sh mints a working node
 * identity through a CertificateSigningRequest.
 */
let cp: ControlPlane;
let dir: string;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

async function manifestFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const provider of await readdir(join(REPO_ROOT, 'providers'))) {
    const deploy = join(REPO_ROOT, 'providers', provider, 'deploy');
    if (!existsSync(deploy)) continue;
    for (const name of await readdir(deploy)) if (/\.ya?ml$/.test(name)) files.push(join(deploy, name));
  }
  return files.sort();
}

async function objectsOf(file: string): Promise<KubeObject[]> {
  return parseAllDocuments(await readFile(file, 'utf8'))
    .map(doc => doc.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

function dryRun(yamlText: string) {
  return cp.kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: yamlText });
}

beforeAll(async () => {
  cp = await startControlPlane({ name: 'deploy-manifests' });
  dir = await mkdtemp(join(tmpdir(), 'vk-deploy-'));
}, 180_000);

afterAll(async () => {
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deploy manifests', () => {
  it('pass a server-side dry run with strict validation', async () => {
    const files = await manifestFiles();
    expect(files.map(file => file.slice(REPO_ROOT.length + 1))).toContain(
      'providers/fargate/deploy/fargate.yaml',
    );
    const all = (await Promise.all(files.map(objectsOf))).flat();
    // A dry run creates nothing, so the namespaced objects need their namespaces for real.
    const namespaces = all.filter(object => object.kind === 'Namespace');
    if (namespaces.length > 0)
      await kubectlOk(cp, ['apply', '-f', '-'], namespaces.map(ns => toYaml(ns)).join('---\n'));
    for (const file of files) {
      const result = await dryRun(await readFile(file, 'utf8'));
      expect(result.stderr, file).toBe('');
      expect(result.code, file).toBe(0);
      for (const object of await objectsOf(file)) {
        expect(result.stdout, file).toMatch(
          new RegExp(
            `^${object.kind.toLowerCase()}[./][^ ]*/?${object.metadata.name} \\w+ \\(server dry run\\)$`,
            'm',
          ),
        );
      }
    }
  });

  it('the dry run refuses an unknown field and a bad value (so the check above can fail)', async () => {
    const [deployment] = (await objectsOf(join(REPO_ROOT, 'providers/fargate/deploy/fargate.yaml'))).filter(
      object => object.kind === 'Deployment',
    );
    const unknownField = { ...deployment!, spec: { ...deployment!.spec, replica: 1 } };
    const unknown = await dryRun(toYaml(unknownField));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown field "spec.replica"');
    const badValue = { ...deployment!, spec: { ...deployment!.spec, strategy: { type: 'Sometimes' } } };
    const bad = await dryRun(toYaml(badValue));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('spec.strategy: Unsupported value');
  });

  it('node-identity.sh mints a kubeconfig for system:node:<name> and stores it in a Secret', async () => {
    await kubectlOk(cp, ['create', 'namespace', 'identity-test']);
    const out = join(dir, 'node.kubeconfig');
    await exec(
      'bash',
      [
        join(REPO_ROOT, 'deploy/node-identity.sh'),
        'vk-identity',
        out,
        '--secret',
        'identity-test/vk-identity-node',
        '--days',
        '2',
      ],
      {
        env: { ...process.env, KUBECTL: cp.kubectlPath, KUBECONFIG: cp.adminKubeconfigPath },
      },
    );
    const whoami = JSON.parse(await kubectlOk(cp, ['auth', 'whoami', '-o', 'json', '--kubeconfig', out])) as {
      status: { userInfo: { username: string; groups: string[] } };
    };
    expect(whoami.status.userInfo.username).toBe('system:node:vk-identity');
    expect(whoami.status.userInfo.groups).toContain('system:nodes');
    // The Node authorizer's limits, not a cluster role: its own Node yes, namespaces no.
    const canCreateNode = await cp.kubectl(['auth', 'can-i', 'create', 'nodes', '--kubeconfig', out]);
    expect(canCreateNode.stdout.trim()).toBe('yes');
    const canCreateNamespace = await cp.kubectl([
      'auth',
      'can-i',
      'create',
      'namespaces',
      '--kubeconfig',
      out,
    ]);
    expect(canCreateNamespace.stdout.trim()).toBe('no');

    const stored = await kubectlOk(cp, [
      '-n',
      'identity-test',
      'get',
      'secret',
      'vk-identity-node',
      '-o',
      'jsonpath={.data.kubeconfig}',
    ]);
    expect(Buffer.from(stored, 'base64').toString()).toBe(await readFile(out, 'utf8'));
    // The request is removed once signed.
    expect(await kubectlOk(cp, ['get', 'csr', '-o', 'name'])).not.toContain('vkubelet-node-vk-identity');
  });

  it('node-identity.sh refuses a bad node name with exit code 2', async () => {
    const failed = await exec(
      'bash',
      [join(REPO_ROOT, 'deploy/node-identity.sh'), 'Not_A_Node', join(dir, 'x')],
      {
        env: { ...process.env, KUBECTL: cp.kubectlPath, KUBECONFIG: cp.adminKubeconfigPath },
      },
    ).then(
      () => undefined,
      (error: unknown) => error as { exitCode: number; stderr: string },
    );
    expect(failed?.exitCode).toBe(2);
    expect(failed?.stderr).toContain('"Not_A_Node" is not a valid node name');
  });
});
