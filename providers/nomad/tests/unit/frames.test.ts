import { describe, expect, it } from 'vitest';

import { decodeFrames, type StreamFrame } from '../../src/nomad/frames.js';

async function decode(chunks: string[]): Promise<StreamFrame[]> {
  const frames: StreamFrame[] = [];
  for await (const frame of decodeFrames(chunks)) frames.push(frame);
  return frames;
}

const data = (text: string, offset: number) =>
  JSON.stringify({
    Offset: offset,
    Data: Buffer.from(text).toString('base64'),
    File: 'alloc/logs/app.stdout.0',
  });

describe("Nomad's framed stream", () => {
  it('splits JSON objects written back to back, heartbeats included', async () => {
    const text = `${data('one\n', 4)}{}${data('two\n', 8)}`;
    expect(await decode([text])).toEqual([
      { Offset: 4, Data: Buffer.from('one\n').toString('base64'), File: 'alloc/logs/app.stdout.0' },
      {},
      { Offset: 8, Data: Buffer.from('two\n').toString('base64'), File: 'alloc/logs/app.stdout.0' },
    ]);
  });

  it('joins frames cut anywhere by the transport, braces inside strings included', async () => {
    const text = `${data('a', 1)}{"FileEvent":"file truncated","File":"odd}{name"}${data('b', 2)}`;
    const whole = await decode([text]);
    expect(whole).toHaveLength(3);
    for (let cut = 1; cut < text.length; cut += 7) {
      expect(await decode([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(await decode(text.split(''))).toEqual(whole);
  });
});
