#!/usr/bin/env node
// `vkubelet-fargate`: the virtual-kubelet command with the Fargate provider built in, so
// `vkubelet-fargate --provider-config fargate.yaml --nodename vk-fargate` is all it takes.
import { main, useAgentHeapFlags } from '@vkubelet/core';

import { plugin } from './plugin.js';

useAgentHeapFlags();
process.exitCode = await main(process.argv.slice(2), { plugin });
