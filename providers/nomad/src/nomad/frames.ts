/** One frame of Nomad's framed stream (api.StreamFrame); heartbeats are `{}`. */
export interface StreamFrame {
  /** Byte offset in the file after this frame's data. */
  Offset?: number;
  /** Base64 bytes. */
  Data?: string;
  File?: string;
  /** `file deleted` or `file truncated` when Nomad rotated the log under a follower. */
  FileEvent?: string;
}

/**
 * Splits Nomad's framed stream, JSON objects written back to back without separators, into frames.
 * Tracks string literals so a brace inside one does not end an object.
 */
export async function* decodeFrames(
  body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<StreamFrame> {
  let pending = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  for await (const chunk of body) {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const scanFrom = pending.length;
    pending += text;
    for (let i = scanFrom; i < pending.length; i++) {
      const char = pending[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (char === '\\') escaped = true;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '"') inString = true;
      else if (char === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (char === '}' && depth > 0) {
        depth--;
        if (depth === 0) yield JSON.parse(pending.slice(start, i + 1)) as StreamFrame;
      }
    }
    // Keep only the object in progress.
    if (depth === 0) {
      pending = '';
      start = 0;
    } else {
      pending = pending.slice(start);
      start = 0;
    }
  }
}
