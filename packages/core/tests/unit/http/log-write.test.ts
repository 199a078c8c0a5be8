import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

import { describe, expect, it } from 'vitest';

import { writeChunks } from '../../../src/http/logs/write.js';

/** A response whose socket buffer is "full" after every write until the test emits 'drain'. */
class SlowResponse extends EventEmitter {
  readonly written: string[] = [];
  destroyed = false;
  corked = 0;
  flushes = 0;
  write(chunk: Buffer): boolean {
    this.written.push(chunk.toString());
    return false;
  }
  cork(): void {
    this.corked += 1;
  }
  uncork(): void {
    this.corked -= 1;
    this.flushes += 1;
  }
}

async function* counting(pulled: { count: number }): AsyncGenerator<Buffer> {
  for (let i = 0; i < 3; i++) {
    pulled.count += 1;
    yield await Promise.resolve(Buffer.from(`${i}\n`));
  }
}

describe('writeChunks', () => {
  it('does not pull the next line until the response drains', async () => {
    const res = new SlowResponse();
    const pulled = { count: 0 };
    const done = writeChunks(
      res as unknown as ServerResponse,
      counting(pulled),
      new AbortController().signal,
    );
    await new Promise(r => setTimeout(r, 20));
    expect(res.written).toEqual(['0\n']);
    expect(pulled.count).toBe(1);
    expect(res.corked).toBe(0); // flushed before waiting, or the drain would never come
    res.emit('drain');
    await new Promise(r => setTimeout(r, 20));
    expect(res.written).toEqual(['0\n', '1\n']);
    res.emit('drain');
    await new Promise(r => setTimeout(r, 20));
    res.emit('drain');
    await done;
    expect(res.written).toEqual(['0\n', '1\n', '2\n']);
  });

  it('stops when the signal aborts while waiting for drain', async () => {
    const res = new SlowResponse();
    const abort = new AbortController();
    const pulled = { count: 0 };
    const done = writeChunks(res as unknown as ServerResponse, counting(pulled), abort.signal);
    await new Promise(r => setTimeout(r, 20));
    abort.abort();
    await done;
    expect(res.written).toEqual(['0\n']);
    expect(res.listenerCount('drain')).toBe(0);
  });

  it('batches lines that are ready together and flushes them in the same tick', async () => {
    const res = new SlowResponse();
    res.write = function (chunk: Buffer): boolean {
      this.written.push(chunk.toString());
      return true;
    };
    const pulled = { count: 0 };
    await writeChunks(res as unknown as ServerResponse, counting(pulled), new AbortController().signal);
    expect(res.written).toHaveLength(3);
    expect(res.flushes).toBe(1);
    expect(res.corked).toBe(0);
  });
});
