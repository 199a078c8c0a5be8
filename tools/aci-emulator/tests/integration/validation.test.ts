import type { ContainerGroup } from '@azure/arm-containerinstance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { WireContainerProperties, WireGroupRequest } from '../../src/model/wire.js';
import { groupPath, groupSpec, rawRequest, startHarness, type Harness } from './helpers.js';

/** The wire body of a minimal valid group, for requests the SDK would not send. */
function wireBody(location: string): WireGroupRequest {
  return {
    location,
    properties: {
      osType: 'Linux',
      containers: [
        { name: 'app', properties: { image: 'busybox', resources: { requests: { cpu: 1, memoryInGB: 1 } } } },
      ],
    },
  };
}

describe('request validation', () => {
  let h: Harness;
  let rg: string;
  beforeAll(async () => {
    h = await startHarness();
    rg = h.emulator.resourceGroup;
  });
  afterAll(() => h?.emulator.stop());

  const put = (name: string, spec: ContainerGroup) =>
    h.client.containerGroups.beginCreateOrUpdateAndWait(rg, name, spec, { updateIntervalInMs: 20 });
  const raw = (method: string, path: string, body?: unknown) =>
    rawRequest(h.emulator, method, path, body === undefined ? {} : { body });

  it('checks the api-version, the subscription and the resource group as ARM does', async () => {
    const path = groupPath(h.emulator, 'x');
    expect(await raw('GET', path)).toMatchObject({
      status: 400,
      body: { error: { code: 'MissingApiVersionParameter' } },
    });
    const future = await raw('GET', `${path}?api-version=2099-01-01`);
    expect(future).toMatchObject({ status: 400, body: { error: { code: 'NoRegisteredProviderFound' } } });
    expect(future.body.error.message).toContain('2023-05-01');
    const otherSubscription = path.replace(h.emulator.subscriptionId, '33333333-3333-3333-3333-333333333333');
    expect(await raw('GET', `${otherSubscription}?api-version=2023-05-01`)).toMatchObject({
      status: 404,
      body: {
        error: {
          code: 'SubscriptionNotFound',
          message: "The subscription '33333333-3333-3333-3333-333333333333' could not be found.",
        },
      },
    });
    await expect(h.client.containerGroups.get('no-such-rg', 'x')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
      message: "Resource group 'no-such-rg' could not be found.",
    });
    expect(await raw('DELETE', `${path.replace(/\/x$/, '')}?api-version=2023-05-01`)).toMatchObject({
      status: 405,
      body: { error: { code: 'MethodNotAllowed' } },
    });
    expect(
      await raw(
        'GET',
        `/subscriptions/${h.emulator.subscriptionId}/providers/Microsoft.ContainerInstance/widgets?api-version=2023-05-01`,
      ),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'InvalidResourceType' } },
    });
  });

  it('refuses bodies that do not deserialize: bad JSON, a missing required property, a wrong type', async () => {
    const path = `${groupPath(h.emulator, 'bad')}?api-version=2023-05-01`;
    expect(await rawRequest(h.emulator, 'PUT', path, { body: '{"location": ' })).toMatchObject({
      status: 400,
      body: { error: { code: 'InvalidRequestContent' } },
    });
    // The SDK's serializer would not notice: its mapper drops `required` on composite properties.
    const noResources = wireBody(h.emulator.location);
    delete (noResources.properties.containers[0]!.properties as Partial<WireContainerProperties>).resources;
    expect((await raw('PUT', path, noResources)).body.error).toEqual({
      code: 'InvalidRequestContent',
      message:
        "The request content was invalid and could not be deserialized: 'Required property 'resources' not found in JSON. Path 'properties.containers[0].properties''.",
    });
    const wrongType = wireBody(h.emulator.location);
    (wrongType.properties.containers[0]!.properties.resources.requests as { cpu: unknown }).cpu = 'two';
    const answer = await raw('PUT', path, wrongType);
    expect(answer).toMatchObject({ status: 400, body: { error: { code: 'InvalidRequestContent' } } });
    expect(answer.body.error.message).toContain('properties.containers[0].properties.resources.requests.cpu');
  });

  it.each<[string, (spec: ContainerGroup) => void, number, string]>([
    ['an upper-case name', () => undefined, 400, 'InvalidContainerGroupName'],
    ['no location', spec => delete spec.location, 400, 'LocationRequired'],
    ['an unknown region', spec => void (spec.location = 'mars'), 400, 'LocationNotAvailableForResourceType'],
    ['an unknown OS', spec => void (spec.osType = 'Solaris'), 400, 'InvalidOsType'],
    [
      'an unknown restart policy',
      spec => void (spec.restartPolicy = 'Sometimes'),
      400,
      'InvalidRestartPolicy',
    ],
    ['a bad container name', spec => void (spec.containers[0]!.name = 'App_1'), 400, 'InvalidContainerName'],
    [
      'two containers of one name',
      spec => void spec.containers.push({ ...spec.containers[0]! }),
      400,
      'DuplicateContainerName',
    ],
    [
      'an image nobody can pull',
      spec => void (spec.containers[0]!.image = 'registry.invalid/app:1'),
      400,
      'InaccessibleImage',
    ],
    [
      'more CPU than a group may have',
      spec => void (spec.containers[0]!.resources.requests.cpu = 8),
      400,
      'ResourceRequestsExceedMaxAllowed',
    ],
    [
      'no CPU',
      spec => void (spec.containers[0]!.resources.requests.cpu = 0),
      400,
      'InvalidContainerResourceRequests',
    ],
    [
      'a mount of no volume',
      spec => void (spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }]),
      400,
      'InvalidVolumeMount',
    ],
    [
      'a port out of range',
      spec => void (spec.containers[0]!.ports = [{ port: 70000 }]),
      400,
      'InvalidContainerPort',
    ],
    [
      'a DNS label with capitals',
      spec => void (spec.ipAddress = { type: 'Public', ports: [{ port: 80 }], dnsNameLabel: 'MyApp' }),
      400,
      'InvalidDnsNameLabel',
    ],
  ])('refuses %s with the RestError ACI answers', async (what, change, statusCode, code) => {
    const spec = groupSpec(h.emulator.location);
    change(spec);
    const name = what === 'an upper-case name' ? 'BadName' : 'refused';
    await expect(put(name, spec)).rejects.toMatchObject({ name: 'RestError', statusCode, code });
  });

  it('refuses to move an existing group to another region', async () => {
    await put('here', groupSpec(h.emulator.location));
    await expect(put('here', groupSpec('eastus'))).rejects.toMatchObject({
      statusCode: 409,
      code: 'InvalidResourceLocation',
    });
  });

  it('accepts case-insensitive enums and answers them in canonical case', async () => {
    const spec = groupSpec(h.emulator.location, {}, { osType: 'linux', restartPolicy: 'onfailure' });
    const group = await put('cased', spec);
    expect(group).toMatchObject({ osType: 'Linux', restartPolicy: 'OnFailure' });
  });
});
