import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import { rejectUpgrade } from '@vkubelet/core/spdy';

import type { EciService } from './actions/context.js';
import { ExecSessions } from './exec/sessions.js';
import { serveExecUpgrade } from './exec/websocket.js';
import { EciFaults } from './faults.js';
import type { GroupStatus } from './groups/group.js';
import { GroupStore } from './groups/store.js';
import type { EciTiming } from './groups/timing.js';
import { parseEciEmulatorOptions, type EciEmulatorOptions } from './options.js';
import { Authenticator, type AccessKey } from './rpc/auth.js';
import { CallCounter, handleRpc } from './rpc/handler.js';
import { ClientTokens } from './rpc/idempotency.js';

export interface EciGroupSummary {
  containerGroupId: string;
  name: string;
  status: GroupStatus;
  tags: Record<string, string>;
}

/** A running ECI emulator: what a client needs to reach it, and the switches tests turn. */
export interface EciEmulator extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: pop-core's `endpoint`. */
  endpoint: string;
  regionId: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** The temporary key, when started with `sts`. */
  sts?: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  faults: EciFaults;
  /** State durations; changes apply to transitions that start afterwards. */
  timing: EciTiming;
  /** The container groups that exist (for leak checks). */
  groups(): EciGroupSummary[];
  /** How many requests of `action` were answered (with `code`, `OK` for success; any when absent). */
  callCount(action: string, code?: string): number;
  stop(): Promise<void>;
}

const MAX_URL_BYTES = 64 * 1024;

function randomKey(prefix: string, bytes: number): string {
  return `${prefix}${randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x')}`;
}

/** Starts an ECI API emulator on loopback; every request must be signed with its keys. */
export async function startEciEmulator(input: EciEmulatorOptions = {}): Promise<EciEmulator> {
  const options = parseEciEmulatorOptions(input);
  const permanent: AccessKey = {
    accessKeyId: options.accessKeyId ?? randomKey('LTAI', 15),
    accessKeySecret: options.accessKeySecret ?? randomKey('', 22),
  };
  const stsOptions = options.sts === true ? {} : options.sts === false ? undefined : options.sts;
  const temporary: AccessKey | undefined = stsOptions && {
    accessKeyId: stsOptions.accessKeyId ?? randomKey('STS.', 18),
    accessKeySecret: stsOptions.accessKeySecret ?? randomKey('', 33),
    securityToken: stsOptions.securityToken ?? randomKey('CAIS', 96),
    ...(stsOptions.expiresAt ? { expiresAt: stsOptions.expiresAt } : {}),
  };
  const keys = new Map([permanent, ...(temporary ? [temporary] : [])].map(key => [key.accessKeyId, key]));
  let clockOffsetMs = 0;
  const authenticator = new Authenticator(keys, options.timestampSkewMs, () => Date.now() + clockOffsetMs);

  const timing = options.timing;
  const store = new GroupStore(() => timing);
  const faults = new EciFaults({
    deleteGroup: id => store.delete(id),
    expireSecurityToken: () => {
      if (temporary) temporary.expiresAt = new Date(Date.now() - 1);
    },
    setClockOffset: ms => {
      clockOffsetMs = ms;
    },
  });
  const service: EciService = {
    regionId: options.regionId,
    zones: options.zones ?? ['h', 'i', 'j'].map(letter => `${options.regionId}-${letter}`),
    vSwitchIds: options.vSwitchIds && new Set(options.vSwitchIds),
    securityGroupIds: options.securityGroupIds && new Set(options.securityGroupIds),
    store,
    clientTokens: new ClientTokens(),
    faults,
    timing,
    sessions: new ExecSessions(),
    endpoint: '',
  };
  const calls = new CallCounter();
  const upgraded = new Set<Duplex>();

  // pop-core sends every parameter of a GET in the URL: allow long ones (a POST body takes 8 MiB).
  const server = createServer({ maxHeaderSize: MAX_URL_BYTES }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname === '/terminal') return serveTerminalPage(res, url, service.sessions);
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    void handleRpc(req, res, url, service, authenticator, calls);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    const url = new URL(req.url ?? '/', 'http://emulator');
    if (url.pathname === '/exec/' || url.pathname === '/exec') {
      serveExecUpgrade(req, socket, head, url, service.sessions, store);
    } else {
      rejectUpgrade(socket, 404, 'Not Found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  service.endpoint = `http://${host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= new Promise<void>(resolve => {
      store.close();
      for (const socket of upgraded) socket.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }));

  return {
    endpoint: service.endpoint,
    regionId: service.regionId,
    accessKeyId: permanent.accessKeyId,
    accessKeySecret: permanent.accessKeySecret,
    ...(temporary
      ? {
          sts: {
            accessKeyId: temporary.accessKeyId,
            accessKeySecret: temporary.accessKeySecret,
            securityToken: temporary.securityToken!,
          },
        }
      : {}),
    faults,
    timing,
    groups: () =>
      store.list().map(group => ({
        containerGroupId: group.id,
        name: group.spec.name,
        status: group.status(),
        tags: Object.fromEntries(group.spec.tags.map(tag => [tag.key, tag.value])),
      })),
    callCount: (action, code) => calls.count(action, code),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The HttpUrl of ExecContainerCommand: a browser page in ECI; here a pointer to the WebSocket. */
function serveTerminalPage(res: ServerResponse, url: URL, sessions: ExecSessions): void {
  const token = url.searchParams.get('param') ?? '';
  const grant = sessions.peek(token);
  if (!grant) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('The terminal link is unknown or expired.\n');
    return;
  }
  res
    .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    .end(
      `ECI emulator terminal for ${grant.containerGroupId}/${grant.containerName}: ` +
        `open a WebSocket to /exec/?s=${token} on this host.\n`,
    );
}
