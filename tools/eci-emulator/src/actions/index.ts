import type { ActionHandler } from './context.js';
import { createContainerGroup } from './create.js';
import {
  describeContainerGroupEvents,
  describeContainerGroups,
  describeContainerGroupStatus,
} from './describe.js';
import { execContainerCommand } from './exec.js';
import { deleteContainerGroup, restartContainerGroup, updateContainerGroup } from './lifecycle.js';
import { describeContainerLog } from './logs.js';
import { describeContainerGroupMetric, describeMultiContainerGroupMetric } from './metrics.js';
import { describeRegions } from './regions.js';

export interface ActionDefinition {
  handler: ActionHandler;
  /** Whether RegionId must be sent (it must always name the emulated region when sent). */
  regionRequired: boolean;
}

/** The ECI 2018-08-08 actions the emulator serves. */
export const ACTIONS: Readonly<Record<string, ActionDefinition>> = {
  CreateContainerGroup: { handler: createContainerGroup, regionRequired: true },
  DescribeContainerGroups: { handler: describeContainerGroups, regionRequired: true },
  DescribeContainerGroupStatus: { handler: describeContainerGroupStatus, regionRequired: true },
  DescribeContainerGroupEvents: { handler: describeContainerGroupEvents, regionRequired: true },
  DeleteContainerGroup: { handler: deleteContainerGroup, regionRequired: true },
  UpdateContainerGroup: { handler: updateContainerGroup, regionRequired: true },
  RestartContainerGroup: { handler: restartContainerGroup, regionRequired: true },
  DescribeContainerLog: { handler: describeContainerLog, regionRequired: false },
  ExecContainerCommand: { handler: execContainerCommand, regionRequired: true },
  DescribeContainerGroupMetric: { handler: describeContainerGroupMetric, regionRequired: false },
  DescribeMultiContainerGroupMetric: { handler: describeMultiContainerGroupMetric, regionRequired: true },
  DescribeRegions: { handler: describeRegions, regionRequired: false },
};
