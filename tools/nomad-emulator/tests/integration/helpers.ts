import type { Allocation, NomadEmulator } from '../../src/index.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Whatever JSON the endpoint answers (or the text of an error), as tests read it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One request to the emulator, with the management token unless `token` says otherwise (null: none). */
export async function api(
  emulator: NomadEmulator,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? emulator.token : options.token;
  if (token) headers['X-Nomad-Token'] = token;
  const response = await fetch(`${emulator.address}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

/** A job in the api module's shape: one group, one docker task running `script` through `sh -c`. */
export function job(
  id: string,
  script: string,
  overrides: Record<string, unknown> = {},
  group: Record<string, unknown> = {},
) {
  return {
    ID: id,
    Type: 'service',
    Datacenters: ['dc1'],
    TaskGroups: [
      {
        Name: 'g',
        Count: 1,
        Tasks: [
          {
            Name: 'main',
            Driver: 'docker',
            Config: { image: 'busybox:1.36', command: 'sh', args: ['-c', script] },
          },
        ],
        ...group,
      },
    ],
    ...overrides,
  };
}

export async function register(
  emulator: NomadEmulator,
  spec: unknown,
  namespace?: string,
): Promise<ApiAnswer> {
  const answer = await api(emulator, 'PUT', `/v1/jobs${namespace ? `?namespace=${namespace}` : ''}`, {
    body: { Job: spec },
  });
  if (answer.status !== 200) throw new Error(`register: ${answer.status} ${String(answer.body)}`);
  return answer;
}

/** Follows a job's allocations with blocking queries until `done` holds; returns them. */
export async function waitForAllocs(
  emulator: NomadEmulator,
  jobId: string,
  done: (allocs: Allocation[]) => boolean,
  timeoutMs = 15_000,
): Promise<Allocation[]> {
  const deadline = Date.now() + timeoutMs;
  let index = 0;
  let last: Allocation[] = [];
  while (Date.now() < deadline) {
    const answer = await api(emulator, 'GET', `/v1/job/${jobId}/allocations?all=true&index=${index}&wait=2s`);
    last = answer.body as Allocation[];
    if (done(last)) return last;
    index = Number(answer.headers.get('x-nomad-index'));
  }
  throw new Error(
    `allocations of ${jobId} never matched: ${JSON.stringify(last.map(a => [a.Name, a.ClientStatus, a.DesiredStatus]))}`,
  );
}

export function eventTypes(alloc: Allocation, task = 'main'): string[] {
  return alloc.TaskStates?.[task]?.Events.map(event => event.Type) ?? [];
}
