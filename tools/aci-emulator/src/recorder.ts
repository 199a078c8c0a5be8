import type { Direction, Violation } from './faithfulness/definition.js';

/** One ARM request as the emulator answered it. */
export interface RecordedRequest {
  time: string;
  method: string;
  /** Path and query, as received. */
  url: string;
  status: number;
  /** The ARM error code of an error answer. */
  errorCode?: string;
}

/** A body that does not match the API definition: what a client sent, or what the emulator answered. */
export interface FaithfulnessViolation extends Violation {
  direction: Direction;
  method: string;
  url: string;
  model: string;
}

const KEEP = 10_000;

/** The request log and the faithfulness violations, kept for tests (the newest 10,000 of each). */
export class Recorder {
  private readonly requestLog: RecordedRequest[] = [];
  private readonly violationLog: FaithfulnessViolation[] = [];

  request(entry: RecordedRequest): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > KEEP) this.requestLog.splice(0, this.requestLog.length - KEEP);
  }

  violations(entries: FaithfulnessViolation[]): void {
    this.violationLog.push(...entries);
    if (this.violationLog.length > KEEP) this.violationLog.splice(0, this.violationLog.length - KEEP);
  }

  requests(): RecordedRequest[] {
    return this.requestLog.map(entry => ({ ...entry }));
  }

  faithfulnessViolations(direction?: Direction): FaithfulnessViolation[] {
    return this.violationLog
      .filter(entry => direction === undefined || entry.direction === direction)
      .map(entry => ({ ...entry }));
  }

  clear(): void {
    this.requestLog.length = 0;
    this.violationLog.length = 0;
  }
}
