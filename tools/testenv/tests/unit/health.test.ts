import { describe, expect, it } from 'vitest';
import { ComponentStartError } from '../../src/health.js';

describe('ComponentStartError', () => {
  it('recognises a lost port race from the log, and only that', () => {
    const raced = new ComponentStartError(
      'etcd',
      'exited with code 1 before GET /health',
      'listen tcp 127.0.0.1:40001: bind: address already in use',
    );
    expect(raced.isPortRace).toBe(true);
    expect(raced.message).toMatch(
      /^etcd exited with code 1 before GET \/health\n--- last lines of etcd's log ---\nlisten tcp/,
    );
    expect(new ComponentStartError('etcd', 'exited with code 1', 'unknown flag').isPortRace).toBe(false);
  });
});
