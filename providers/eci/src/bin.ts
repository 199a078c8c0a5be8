#!/usr/bin/env node
// `vkubelet-eci`: the virtual-kubelet command with the ECI provider built in, so
// `vkubelet-eci --provider-config eci.yaml --nodename vk-eci` is all it takes.
import { main, useAgentHeapFlags } from '@vkubelet/core';

import { plugin } from './plugin.js';

useAgentHeapFlags();
process.exitCode = await main(process.argv.slice(2), { plugin });
