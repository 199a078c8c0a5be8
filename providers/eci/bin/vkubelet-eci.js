#!/usr/bin/env node
// `vkubelet-eci`: plain JavaScript that any Node.js can parse, checking the version before
// anything loads, so an older Node prints one line instead of an unrelated error from a dependency.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `vkubelet-eci: Node.js >= 22.12 is needed; this is Node.js ${process.versions.node}\n`,
  );
  process.exit(2);
}
await import('../dist/bin.js');
