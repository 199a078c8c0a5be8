import type { ProviderContext } from '@vkubelet/provider-kit';
import { readFileSync } from 'node:fs';

/**
 * This node's entry of the bench's provider config, `{"<node>": {...}}` (the file the bench writes
 * for its mock), for a bench plugin to take its own keys from before the mock parses the rest.
 */
export function nodeSettings(
  context: Pick<ProviderContext, 'configPath' | 'nodeName'>,
): Record<string, unknown> {
  const file = JSON.parse(readFileSync(context.configPath ?? '', 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  return file[context.nodeName] ?? {};
}
