import { hasMarker, markerFor } from './marked-error.js';

/** The kinds of error a provider signals; core maps each to an HTTP status and a controller reaction. */
export type ErrorKind = 'NotFound' | 'InvalidInput' | 'AlreadyExists' | 'Unsupported' | 'Transient';

const markers: Record<ErrorKind, symbol> = {
  NotFound: markerFor('NotFound'),
  InvalidInput: markerFor('InvalidInput'),
  AlreadyExists: markerFor('AlreadyExists'),
  Unsupported: markerFor('Unsupported'),
  Transient: markerFor('Transient'),
};

/** Base class: `kind` names the error kind; `cause` keeps the backend error for logs. */
export abstract class ProviderError extends Error {
  abstract readonly kind: ErrorKind;
}

function defineKind(kind: ErrorKind) {
  const marker = markers[kind];
  const cls = class extends ProviderError {
    readonly kind = kind;
    constructor(message: string, options?: ErrorOptions) {
      super(message, options);
      this.name = `${kind}Error`;
      Object.defineProperty(this, marker, { value: true, enumerable: false });
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return (
        typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true
      );
    }
  };
  return cls;
}

/** The pod, container or object does not exist in the backend (HTTP 404). */
export class NotFoundError extends defineKind('NotFound') {}
/** The request or pod cannot be run as given; retrying will not help (HTTP 400). */
export class InvalidInputError extends defineKind('InvalidInput') {}
/** The object already exists in the backend (create is idempotent on this). */
export class AlreadyExistsError extends defineKind('AlreadyExists') {}
/** The provider does not offer this operation (HTTP 501). */
export class UnsupportedError extends defineKind('Unsupported') {}
/** A temporary backend failure (throttling, timeout, 5xx); the caller retries with backoff. */
export class TransientError extends defineKind('Transient') {}

/** True when `err`, or an error in its `cause` chain, is a NotFoundError from any package copy. */
export const isNotFound = (err: unknown): boolean => hasMarker(err, markers.NotFound);
/** True when `err`, or an error in its `cause` chain, is an InvalidInputError from any package copy. */
export const isInvalidInput = (err: unknown): boolean => hasMarker(err, markers.InvalidInput);
/** True when `err`, or an error in its `cause` chain, is an AlreadyExistsError from any package copy. */
export const isAlreadyExists = (err: unknown): boolean => hasMarker(err, markers.AlreadyExists);
/** True when `err`, or an error in its `cause` chain, is an UnsupportedError from any package copy. */
export const isUnsupported = (err: unknown): boolean => hasMarker(err, markers.Unsupported);
/** True when `err`, or an error in its `cause` chain, is a TransientError from any package copy. */
export const isTransient = (err: unknown): boolean => hasMarker(err, markers.Transient);

/** The kind of `err` (searching its cause chain), or undefined for an unclassified error. */
export function errorKind(err: unknown): ErrorKind | undefined {
  for (const kind of Object.keys(markers) as ErrorKind[]) {
    if (hasMarker(err, markers[kind])) return kind;
  }
  return undefined;
}
