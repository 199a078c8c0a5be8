import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { V1Container } from '@kubernetes/client-node';

import type { ContainerKind } from './container-config.js';
import { newContainerRecord, type ContainerRecord } from './record.js';
import { lostStatus, markGone } from './status.js';

const LOST = 'the container could not be located: the runtime no longer has it';

/** The newest `<attempt>.log` of a container in its log directory: its latest instance that started. */
async function lastLoggedAttempt(logDirectory: string, container: string): Promise<number | undefined> {
  const files = await readdir(join(logDirectory, container)).catch(() => [] as string[]);
  let last: number | undefined;
  for (const file of files) {
    const match = /^(\d+)\.log$/.exec(file);
    if (match) last = Math.max(last ?? 0, Number(match[1]));
  }
  return last;
}

/**
 * The record of a container the runtime has no instance of. If its log directory shows it ran
 * (the runtime lost it: its sandbox removed while no agent ran), it continues from there as the
 * kubelet counts restarts from the log directory: its last instance terminated as
 * ContainerStatusUnknown, and the restart policy decides; otherwise it is new.
 */
export async function recordFromLogs(
  kind: ContainerKind,
  spec: V1Container,
  logDirectory: string,
): Promise<ContainerRecord> {
  const record = newContainerRecord(kind, spec);
  const last = await lastLoggedAttempt(logDirectory, spec.name);
  if (last === undefined) return record;
  record.attempt = last;
  record.status = lostStatus(record, LOST);
  markGone(record, LOST);
  return record;
}
