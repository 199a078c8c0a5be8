#!/usr/bin/env node
// `vkubelet-nomad`: the virtual-kubelet command with the Nomad provider built in, so
// `NOMAD_ADDR=... NOMAD_TOKEN=... vkubelet-nomad --nodename vk-nomad` is all it takes.
import { main, useAgentHeapFlags } from '@vkubelet/core';

import { plugin } from './plugin.js';

useAgentHeapFlags();
process.exitCode = await main(process.argv.slice(2), { plugin });
