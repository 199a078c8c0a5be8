import { describe, expect, it } from 'vitest';

import {
  errorKind,
  InvalidInputError,
  isInvalidInput,
  isNotFound,
  isTransient,
  NotFoundError,
  TransientError,
} from '../../src/index.js';

describe('errdefs', () => {
  it('classifies errors and their cause chains', () => {
    const notFound = new NotFoundError('pod "a" not found');
    expect(isNotFound(notFound)).toBe(true);
    expect(isInvalidInput(notFound)).toBe(false);
    expect(isNotFound(new Error('wrapped', { cause: notFound }))).toBe(true);
    expect(errorKind(new Error('outer', { cause: new TransientError('throttled') }))).toBe('Transient');
    expect(errorKind(new Error('plain'))).toBeUndefined();
    expect(isNotFound(undefined)).toBe(false);
  });

  it('recognises errors made by another copy of the package', () => {
    // A second copy defines its own classes; only the global-registry symbol is shared.
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('@vkubelet/errdefs:InvalidInput')]: true,
    });
    expect(foreign instanceof InvalidInputError).toBe(true);
    expect(foreign instanceof NotFoundError).toBe(false);
    expect(isInvalidInput(foreign)).toBe(true);
  });

  it('keeps name, message and kind', () => {
    const err = new TransientError('slow down', { cause: new Error('429') });
    expect(err.name).toBe('TransientError');
    expect(err.kind).toBe('Transient');
    expect(err.message).toBe('slow down');
    expect(isTransient(err)).toBe(true);
    expect(err instanceof Error).toBe(true);
  });
});
