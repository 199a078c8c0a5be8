#!/usr/bin/env node
// `vkubelet-aci`: the virtual-kubelet command with the ACI provider built in, so
// `vkubelet-aci --provider-config aci.yaml --nodename vk-aci` is all it takes.
import { main, useAgentHeapFlags } from '@vkubelet/core';

import { plugin } from './plugin.js';

useAgentHeapFlags();
process.exitCode = await main(process.argv.slice(2), { plugin });
