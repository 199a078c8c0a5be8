/**
 * The shared objects a dynamically linked binary loads, from `ldd` output: each resolved library and
 * the program interpreter, as absolute paths. The vDSO has no file and is left out; a library that
 * does not resolve is an error, since the image would not start without it.
 */
export function parseLdd(output: string): string[] {
  const paths: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('linux-vdso') || line.startsWith('linux-gate')) continue;
    if (/=>\s*not found/.test(line)) throw new Error(`ldd: ${line.split(/\s/)[0]} not found`);
    if (line === 'statically linked' || line === 'not a dynamic executable') continue;
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (!match?.[1]) throw new Error(`ldd: cannot read the line "${line}"`);
    if (!paths.includes(match[1])) paths.push(match[1]);
  }
  return paths;
}
