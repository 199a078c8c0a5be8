import { describe, expect, it } from 'vitest';

import { parseLdd } from '../../src/ldd.js';

describe('parseLdd', () => {
  it('lists resolved libraries and the interpreter, without the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd4b3f2000)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f0c2a1e0000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0c29e00000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c29c1f000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c2a1f3000)',
      '',
    ].join('\n');
    expect(parseLdd(output)).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('refuses a library that does not resolve: the image would not start', () => {
    expect(() => parseLdd('\tlibfoo.so.1 => not found\n')).toThrow('libfoo.so.1 not found');
  });

  it('gives nothing for a static binary', () => {
    expect(parseLdd('\tstatically linked\n')).toEqual([]);
  });
});
