#!/usr/bin/env node
// The `virtual-kubelet` command. This first module is plain JavaScript that any Node.js can parse and
// loads nothing before checking the version, so an older Node prints one line instead of failing
// deep inside a dependency (undici, commander) with an unrelated error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `virtual-kubelet: Node.js >= 22.12 is needed; this is Node.js ${process.versions.node}\n`,
  );
  process.exit(2);
}
// The heap settings re-execute the process before the agent's modules load, so they load once.
const { useAgentHeapFlags } = await import('../dist/cli/heap-flags.js');
useAgentHeapFlags();
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
