import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { runServer } from 'verdaccio';

export interface LocalRegistry {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  /** A token of the one user, which may publish. */
  readonly token: string;
  close(): Promise<void>;
}

/**
 * Starts verdaccio in this process on a free loopback port, with its storage and users in `dir`,
 * no uplink (it serves only what is published to it) and one user who may publish.
 */
export async function startRegistry(dir: string): Promise<LocalRegistry> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const app = (await runServer({
    self_path: join(dir, 'config.yaml'),
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 1 } },
    uplinks: {},
    packages: { '**': { access: ['$all'], publish: ['$authenticated'], unpublish: ['$authenticated'] } },
    log: { type: 'stdout', format: 'pretty', level: 'error' },
    web: { enable: false },
    max_body_size: '100mb',
  })) as { listen(port: number, host: string, cb: () => void): Server };
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    listening.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const close = () =>
    new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    const response = await fetch(`${url}-/user/org.couchdb.user:release`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'release', password: 'release-check' }),
    });
    if (!response.ok)
      throw new Error(`verdaccio refused the user: ${response.status} ${await response.text()}`);
    const { token } = (await response.json()) as { token: string };
    return { url, token, close };
  } catch (err) {
    await close();
    throw err;
  }
}
