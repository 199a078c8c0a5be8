import {
  DescribeLogGroupsCommand,
  GetLogEventsCommand,
  type CloudWatchLogsClient,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  END_OF_HISTORY,
  isNotFound,
  type BackendCaller,
  type CallOptions,
  type ContainerLogOptions,
  type LogItem,
} from '@vkubelet/provider-kit';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ContainerLogSource {
  client: CloudWatchLogsClient;
  /** The provider's door for CloudWatch Logs requests. */
  call: BackendCaller;
  logGroup: string;
  /** awslogs names streams `<prefix>/<container>/<task-id>`. */
  logStream: string;
  options: ContainerLogOptions & CallOptions;
  pollIntervalMs: number;
  /** True once the task has stopped: a follow then ends after one last read. */
  taskEnded: () => boolean;
}

/** CloudWatch caps a GetLogEvents page at 10,000 events. */
const MAX_PAGE = 10_000;

interface Page {
  events: OutputLogEvent[];
  nextToken: string | undefined;
}

/**
 * A container's log from CloudWatch Logs, oldest first; with `follow`, END_OF_HISTORY after the
 * lines already written, then new lines by polling GetLogEvents with the forward token, until the
 * signal aborts or the task stops. A stream that does not exist yet (the container has not written
 * or not started) is an empty history.
 */
export async function readContainerLogs(source: ContainerLogSource): Promise<AsyncIterable<LogItem>> {
  const { options } = source;
  // Asking CloudWatch for the tail only saves reading the whole stream; core applies tailLines anyway.
  const tail =
    options.tailLines !== undefined && options.tailLines > 0
      ? Math.min(options.tailLines, MAX_PAGE)
      : undefined;
  const startTime =
    options.sinceTime?.getTime() ??
    (options.sinceSeconds !== undefined ? Date.now() - options.sinceSeconds * 1000 : undefined);
  // Fetch the first page now so a missing log group fails the request instead of the stream.
  const first = await readPage(
    source,
    tail !== undefined ? { startFromHead: false, limit: tail } : { startFromHead: true },
    startTime,
  );
  return iterate(source, first, startTime);
}

async function* iterate(
  source: ContainerLogSource,
  first: Page,
  startTime: number | undefined,
): AsyncGenerator<LogItem> {
  const { signal, follow } = source.options;
  let page = first;
  // History: pages until the forward token stops moving (CloudWatch's end-of-stream signal).
  for (;;) {
    yield* page.events.map(toEntry);
    if (page.events.length === 0 || !page.nextToken) break;
    const next = await readPage(source, { nextToken: page.nextToken }, startTime);
    if (next.nextToken === page.nextToken && next.events.length === 0) break;
    page = { events: next.events, nextToken: next.nextToken ?? page.nextToken };
  }
  if (!follow) return;
  yield END_OF_HISTORY;
  let token = page.nextToken;
  while (!signal.aborted) {
    const ended = source.taskEnded();
    const next = await readPage(source, token ? { nextToken: token } : { startFromHead: true }, startTime);
    yield* next.events.map(toEntry);
    token = next.nextToken ?? token;
    if (ended && next.events.length === 0) return;
    if (next.events.length === 0) {
      try {
        await sleep(source.pollIntervalMs, undefined, { signal });
      } catch {
        return;
      }
    }
  }
}

function toEntry(event: OutputLogEvent): LogItem {
  return { time: new Date(event.timestamp ?? 0), text: (event.message ?? '').replace(/\r?\n$/, '') };
}

async function readPage(
  source: ContainerLogSource,
  position: { startFromHead: boolean; limit?: number } | { nextToken: string },
  startTime: number | undefined,
): Promise<Page> {
  try {
    const out = await source.call('GetLogEvents', () =>
      source.client.send(
        new GetLogEventsCommand({
          logGroupName: source.logGroup,
          logStreamName: source.logStream,
          ...position,
          ...('nextToken' in position ? {} : startTime !== undefined ? { startTime } : {}),
        }),
        { abortSignal: source.options.signal },
      ),
    );
    return { events: out.events ?? [], nextToken: out.nextForwardToken };
  } catch (err) {
    // No stream yet in an existing group: the container has written nothing.
    if (isNotFound(err) && (await logGroupExists(source))) return { events: [], nextToken: undefined };
    throw err;
  }
}

/**
 * Whether the log group exists, to tell "the container has written nothing yet" (no stream: an empty
 * log) from a misconfigured group (an error). The error message cannot tell them apart reliably:
 * moto answers "log group does not exist" for a missing stream too.
 */
async function logGroupExists(source: ContainerLogSource): Promise<boolean> {
  const out = await source.call('DescribeLogGroups', () =>
    source.client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: source.logGroup, limit: 50 }), {
      abortSignal: source.options.signal,
    }),
  );
  return (out.logGroups ?? []).some(group => group.logGroupName === source.logGroup);
}
