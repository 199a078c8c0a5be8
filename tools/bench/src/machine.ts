import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  kernel: string;
  node: string;
  /** One-minute, five-minute and fifteen-minute load averages when this was read. */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1e9),
    kernel: release(),
    node: process.version,
    loadAverage: loadavg().map(n => Math.round(n * 100) / 100),
  };
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GB, Linux ${machine.kernel}, Node ${machine.node}`;
}
