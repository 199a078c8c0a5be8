import { constants, createInflate } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { FrameSplitter, SpdyCodec, type RawFrame } from '../../../src/streaming/spdy/codec.js';
import { SPDY3_HEADER_DICTIONARY } from '../../../src/streaming/spdy/dictionary.js';
import { headersFrom, SpdyProtocolError, type SpdyFrame } from '../../../src/streaming/spdy/frames.js';

/**
 * Frames written by Go's SPDY framer (github.com/moby/spdystream/spdy v0.5.1, the one client-go and
 * the apiserver use), in order on one connection, so the second SYN_STREAM depends on the zlib state
 * the first one left behind.
 */
const RECORDED_FROM_GO = {
  synStream1:
    '800300010000003e0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c60616061c0c0c0c0590489c64c50f2663400000000ffff',
  synStream3Fin: '800300010100001800000003000000000000c2aa19540e2512d60b000000ffff',
  dataFin: '00000003010000026869',
  ping: '800300060000000400000001',
  goAway: '80030007000000080000000300000000',
  rstCancel: '80030003000000080000000300000005',
};

async function decodeAll(codec: SpdyCodec, bytes: Buffer): Promise<(SpdyFrame | undefined)[]> {
  const raws = new FrameSplitter().push(bytes);
  const frames: (SpdyFrame | undefined)[] = [];
  for (const raw of raws) frames.push(await codec.decode(raw));
  return frames;
}

function randomHeaders(random: () => number): Record<string, string> {
  const headers: Record<string, string> = {};
  const count = 1 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    headers[`h${Math.floor(random() * 1e6).toString(36)}`] =
      'v'.repeat(Math.floor(random() * 300)) + String(random());
  }
  return headers;
}

/** Deterministic PRNG so a failing fuzz case can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('SPDY codec', () => {
  it('decodes frames recorded from Go spdystream, sharing one zlib context across header blocks', async () => {
    const codec = new SpdyCodec();
    const bytes = Buffer.from(Object.values(RECORDED_FROM_GO).join(''), 'hex');
    const frames = await decodeAll(codec, bytes);
    expect(frames).toEqual([
      {
        type: 'syn_stream',
        streamId: 1,
        associatedStreamId: 0,
        priority: 0,
        fin: false,
        unidirectional: false,
        // Go canonicalizes to "Streamtype"/"Requestid" and its framer lower-cases on the wire.
        headers: new Map([
          ['port', ['8080']],
          ['requestid', ['0']],
          ['streamtype', ['error']],
        ]),
      },
      {
        type: 'syn_stream',
        streamId: 3,
        associatedStreamId: 0,
        priority: 0,
        fin: true,
        unidirectional: false,
        headers: new Map([
          ['port', ['8080']],
          ['requestid', ['0']],
          ['streamtype', ['data']],
        ]),
      },
      { type: 'data', streamId: 3, fin: true, data: Buffer.from('hi') },
      { type: 'ping', id: 1 },
      { type: 'goaway', lastGoodStreamId: 3, status: 0 },
      { type: 'rst_stream', streamId: 3, status: 5 },
    ]);
    codec.close();
  });

  it('encodes control frames byte-for-byte like Go', async () => {
    const codec = new SpdyCodec();
    const hex = async (frame: SpdyFrame): Promise<string> => (await codec.encode(frame)).toString('hex');
    expect(await hex({ type: 'ping', id: 1 })).toBe(RECORDED_FROM_GO.ping);
    expect(await hex({ type: 'goaway', lastGoodStreamId: 3, status: 0 })).toBe(RECORDED_FROM_GO.goAway);
    expect(await hex({ type: 'rst_stream', streamId: 3, status: 5 })).toBe(RECORDED_FROM_GO.rstCancel);
    expect(await hex({ type: 'data', streamId: 3, fin: true, data: Buffer.from('hi') })).toBe(
      RECORDED_FROM_GO.dataFin,
    );
    codec.close();
  });

  it('writes header blocks an independent SPDY/3 inflater can read, with lower-case names', async () => {
    const codec = new SpdyCodec();
    const frame = await codec.encode({
      type: 'syn_reply',
      streamId: 5,
      fin: false,
      headers: headersFrom({ 'X-Thing': ['a', 'b'] }),
    });
    expect(frame.subarray(0, 4).toString('hex')).toBe('80030002');
    const inflate = createInflate({ dictionary: SPDY3_HEADER_DICTIONARY });
    const block = await new Promise<Buffer>(resolve => {
      const parts: Buffer[] = [];
      inflate.on('data', (chunk: Buffer) => parts.push(chunk));
      inflate.write(frame.subarray(12));
      inflate.flush(constants.Z_SYNC_FLUSH, () => setImmediate(() => resolve(Buffer.concat(parts))));
    });
    // count=1, "x-thing", "a\0b"
    expect(block.toString('hex')).toBe(
      '00000001' + '00000007' + Buffer.from('x-thing').toString('hex') + '00000003' + '610062',
    );
    codec.close();
  });

  it('round-trips random frame sequences through fresh codecs, fed in random chunk sizes', async () => {
    const random = mulberry32(20261122);
    for (let round = 0; round < 20; round++) {
      const writer = new SpdyCodec();
      const reader = new SpdyCodec();
      const frames: SpdyFrame[] = [];
      for (let i = 0; i < 30; i++) {
        const streamId = 1 + 2 * Math.floor(random() * 1000);
        const pick = Math.floor(random() * 9);
        const fin = random() < 0.5;
        const frame: SpdyFrame = [
          (): SpdyFrame => ({
            type: 'data',
            streamId,
            fin,
            data: Buffer.from(
              Array.from({ length: Math.floor(random() * 3000) }, () => Math.floor(random() * 256)),
            ),
          }),
          (): SpdyFrame => ({
            type: 'syn_stream',
            streamId,
            associatedStreamId: 0,
            priority: Math.floor(random() * 8),
            fin,
            unidirectional: random() < 0.2,
            headers: headersFrom(randomHeaders(random)),
          }),
          (): SpdyFrame => ({
            type: 'syn_reply',
            streamId,
            fin,
            headers: headersFrom(randomHeaders(random)),
          }),
          (): SpdyFrame => ({ type: 'headers', streamId, fin, headers: headersFrom(randomHeaders(random)) }),
          (): SpdyFrame => ({ type: 'rst_stream', streamId, status: 1 + Math.floor(random() * 11) }),
          (): SpdyFrame => ({
            type: 'settings',
            clear: fin,
            entries: [{ flags: 0, id: 7, value: Math.floor(random() * 2 ** 31) }],
          }),
          (): SpdyFrame => ({ type: 'ping', id: 1 + Math.floor(random() * 2 ** 31) }),
          (): SpdyFrame => ({ type: 'goaway', lastGoodStreamId: streamId, status: Math.floor(random() * 3) }),
          (): SpdyFrame => ({ type: 'window_update', streamId, delta: 1 + Math.floor(random() * 2 ** 30) }),
        ][pick]!();
        frames.push(frame);
      }
      const bytes: Buffer[] = [];
      for (const frame of frames) bytes.push(await writer.encode(frame));
      const wire = Buffer.concat(bytes);
      const splitter = new FrameSplitter();
      const raws: RawFrame[] = [];
      for (let offset = 0; offset < wire.length;) {
        const size = 1 + Math.floor(random() * 700);
        raws.push(...splitter.push(wire.subarray(offset, offset + size)));
        offset += size;
      }
      const decoded: (SpdyFrame | undefined)[] = [];
      for (const raw of raws) decoded.push(await reader.decode(raw));
      expect(decoded).toEqual(frames);
      writer.close();
      reader.close();
    }
  });

  it('rejects malformed control frames and ignores unknown control types', async () => {
    const codec = new SpdyCodec();
    const raw = (hex: string): RawFrame => new FrameSplitter().push(Buffer.from(hex, 'hex'))[0]!;
    // PING with a 3-byte payload
    expect(() => codec.decode(raw('80030006000000030000ff'))).toThrow(SpdyProtocolError);
    // SPDY/2 frame
    expect(() => codec.decode(raw('800200060000000400000001'))).toThrow(/unsupported SPDY version 2/);
    // RST_STREAM with 4 bytes
    expect(() => codec.decode(raw('800300030000000400000001'))).toThrow(SpdyProtocolError);
    // type 0x0f does not exist: ignored, as SPDY requires
    expect(codec.decode(raw('8003000f0000000100'))).toBeUndefined();
    // garbage where the zlib header block should be
    await expect(codec.decode(raw('80030001000000100000000100000000000001020304aabb'))).rejects.toThrow(
      /header decompression failed/,
    );
    codec.close();
  });
});
