import type { ArmErrorBody } from '../http/arm-error.js';

/** Provisioning states the emulator moves a group through (ACI's `provisioningState` values). */
export type DeploymentState = 'Pending' | 'Creating' | 'Succeeded' | 'Failed' | 'Canceled';

/**
 * One deployment of a container group: a create, an update, a restart or a start. Its state is the
 * group's provisioningState, and the status the long-running operation that started it reports.
 */
export class Deployment {
  state: DeploymentState = 'Pending';
  error: ArmErrorBody | undefined;
  /** Set once the configured Creating time has passed; the deployment may then succeed. */
  creatingElapsed = false;
  readonly startTime = new Date();

  get done(): boolean {
    return this.state === 'Succeeded' || this.state === 'Failed' || this.state === 'Canceled';
  }

  fail(error: ArmErrorBody): void {
    if (this.done) return;
    this.state = 'Failed';
    this.error = error;
  }

  cancel(): void {
    if (this.done) return;
    this.state = 'Canceled';
    this.error = {
      code: 'Canceled',
      message: 'The operation was canceled by a later operation on the container group.',
    };
  }
}
