/**
 * The wire between the mock provider in an agent process and the mock backend in the soak process:
 * JSON over HTTP on loopback. A provider error travels as its errdefs kind and message, so the agent
 * sees the NotFoundError or TransientError the in-process mock would have thrown.
 */
import {
  errorMessage,
  AlreadyExistsError,
  errorKind,
  InvalidInputError,
  NotFoundError,
  TransientError,
  UnsupportedError,
  type ErrorKind,
} from '@vkubelet/provider-kit';

/** The agent's name for the backend's record, on every request. */
export const AGENT_HEADER = 'x-soak-agent';
/** Set on an answer after which the agent process must die at once (a crash point the soak armed). */
export const CRASH_HEADER = 'x-soak-crash';

export interface WireError {
  kind: ErrorKind | 'plain';
  message: string;
}

export function toWireError(err: unknown): WireError {
  return { kind: errorKind(err) ?? 'plain', message: errorMessage(err) };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case 'NotFound':
      return new NotFoundError(wire.message);
    case 'InvalidInput':
      return new InvalidInputError(wire.message);
    case 'AlreadyExists':
      return new AlreadyExistsError(wire.message);
    case 'Unsupported':
      return new UnsupportedError(wire.message);
    case 'Transient':
      return new TransientError(wire.message);
    default:
      return new Error(wire.message);
  }
}

/** HTTP status of an answer carrying an error of `kind`. */
export function statusOfKind(kind: WireError['kind']): number {
  switch (kind) {
    case 'NotFound':
      return 404;
    case 'InvalidInput':
      return 400;
    case 'AlreadyExists':
      return 409;
    case 'Unsupported':
      return 501;
    default:
      return 503;
  }
}
