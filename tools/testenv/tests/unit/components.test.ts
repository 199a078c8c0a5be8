import { describe, expect, it } from 'vitest';
import {
  apiServerArgs,
  controllerManagerArgs,
  type ComponentFiles,
  type ComponentPorts,
} from '../../src/components.js';

const ports: ComponentPorts = {
  etcdClient: 1,
  etcdPeer: 2,
  apiServer: 3,
  scheduler: 4,
  controllerManager: 5,
};
const files = new Proxy({} as ComponentFiles, { get: (_t, key) => `/pki/${String(key)}` });

describe('component flags', () => {
  it('runs the apiserver with the Node authorizer and NodeRestriction, on loopback', () => {
    const args = apiServerArgs(ports, files, { controllerManager: true, extraFlags: ['--v=4'] });
    expect(args).toEqual(
      expect.arrayContaining([
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--disable-admission-plugins=TaintNodesByCondition',
        '--bind-address=127.0.0.1',
        '--secure-port=3',
        '--etcd-servers=http://127.0.0.1:1',
      ]),
    );
    expect(args.at(-1)).toBe('--v=4');
  });

  it('lets an extra flag replace the default of the same name instead of adding to it', () => {
    const args = apiServerArgs(ports, files, {
      controllerManager: true,
      extraFlags: ['--disable-admission-plugins=ServiceAccount'],
    });
    expect(args.filter(a => a.startsWith('--disable-admission-plugins'))).toEqual([
      '--disable-admission-plugins=ServiceAccount',
    ]);
  });

  it('drops the ServiceAccount admission plugin only when no controller-manager creates the default SA', () => {
    const args = apiServerArgs(ports, files, { controllerManager: false, extraFlags: [] });
    expect(args).toContain('--disable-admission-plugins=TaintNodesByCondition,ServiceAccount');
  });

  it('disables the node lifecycle and IPAM controllers by their 1.36 names', () => {
    expect(controllerManagerArgs(ports, files)).toContain(
      '--controllers=*,-node-lifecycle-controller,-node-ipam-controller',
    );
  });
});
