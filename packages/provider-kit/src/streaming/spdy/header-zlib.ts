import type { TransformOptions } from 'node:stream';
import {
  constants,
  createDeflate,
  createInflate,
  type Deflate,
  type Inflate,
  type ZlibOptions,
} from 'node:zlib';

import { SPDY3_HEADER_DICTIONARY } from './dictionary.js';

/**
 * Decompressed header blocks larger than this are refused. It is also the readable buffer size of the
 * zlib stream, so a flush never waits on a reader (see `flushAndRead`).
 */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/**
 * SPDY compresses every header block of one direction with a single zlib context primed with the
 * SPDY/3 dictionary, ending each block with a sync flush. node:zlib only offers a persistent context
 * through its stream classes, so each block is written, sync-flushed, and read back in paused mode:
 * all output of a flush is pushed before the flush callback runs.
 */
function flushAndRead(stream: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(constants.Z_SYNC_FLUSH, () => {
      stream.off('error', onError);
      const parts: Buffer[] = [];
      let part: Buffer | null;
      while ((part = stream.read() as Buffer | null) !== null) parts.push(part);
      resolve(Buffer.concat(parts));
    });
  });
}

// zlib streams pass stream options through to Transform; the typings just do not say so.
const ZLIB_OPTIONS: ZlibOptions & TransformOptions = {
  dictionary: SPDY3_HEADER_DICTIONARY,
  readableHighWaterMark: MAX_HEADER_BLOCK_BYTES * 2,
};

/** One direction's header compressor. Calls must not overlap: callers serialize them. */
export class HeaderCompressor {
  private readonly deflate = createDeflate(ZLIB_OPTIONS);

  compress(block: Buffer): Promise<Buffer> {
    return flushAndRead(this.deflate, block);
  }

  close(): void {
    this.deflate.destroy();
  }
}

/** One direction's header decompressor. Calls must not overlap: callers serialize them. */
export class HeaderDecompressor {
  private readonly inflate = createInflate(ZLIB_OPTIONS);

  async decompress(block: Buffer): Promise<Buffer> {
    const out = await flushAndRead(this.inflate, block);
    if (out.length > MAX_HEADER_BLOCK_BYTES) {
      throw new Error(`header block of ${out.length} bytes exceeds ${MAX_HEADER_BLOCK_BYTES}`);
    }
    return out;
  }

  close(): void {
    this.inflate.destroy();
  }
}
