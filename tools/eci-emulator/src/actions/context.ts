import type { ExecSessions } from '../exec/sessions.js';
import type { EciFaults } from '../faults.js';
import type { GroupStore } from '../groups/store.js';
import type { EciTiming } from '../groups/timing.js';
import type { ClientTokens } from '../rpc/idempotency.js';
import type { Params } from '../rpc/params.js';

/** The emulated region and everything the actions share. */
export interface EciService {
  regionId: string;
  zones: readonly string[];
  /** When set, the only vSwitch / security group IDs that exist; otherwise any ID is accepted. */
  vSwitchIds: ReadonlySet<string> | undefined;
  securityGroupIds: ReadonlySet<string> | undefined;
  store: GroupStore;
  clientTokens: ClientTokens;
  faults: EciFaults;
  timing: EciTiming;
  sessions: ExecSessions;
  /** `http://host:port` the emulator serves on, for the URLs it hands out. */
  endpoint: string;
}

export interface ActionContext {
  service: EciService;
  params: Params;
  /** The flat parameters as sent (for ClientToken comparisons). */
  raw: ReadonlyMap<string, string>;
}

export type Wire = Record<string, unknown>;

export type ActionHandler = (context: ActionContext) => Wire | Promise<Wire>;
