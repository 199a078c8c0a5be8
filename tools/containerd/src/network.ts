import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Picks a /24 in 10.88.0.0/16 that no route on this machine uses yet, so a private bridge never
 * shadows a real network and parallel launchers rarely collide.
 */
export async function findFreeSubnet(): Promise<string> {
  const { stdout } = await run('ip', ['-4', 'route', 'show']);
  for (let attempt = 0; attempt < 50; attempt++) {
    const octet = randomInt(1, 255);
    const subnet = `10.88.${octet}.0/24`;
    if (!stdout.includes(`10.88.${octet}.`)) return subnet;
  }
  throw new Error('no free /24 in 10.88.0.0/16 for the CNI bridge');
}
