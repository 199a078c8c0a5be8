import * as containerInstance from '@azure/arm-containerinstance';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { ContainerInstanceDefinition } from '../../src/index.js';
import { eventually, groupPath, rawRequest, startHarness, type Harness } from './helpers.js';

const definition = ContainerInstanceDefinition.load();

/** A wire-format group that fits the definition. */
function wire(): Record<string, unknown> {
  return {
    location: 'westeurope',
    properties: {
      osType: 'Linux',
      containers: [
        { name: 'app', properties: { image: 'busybox', resources: { requests: { cpu: 1, memoryInGB: 1 } } } },
      ],
    },
  };
}

describe('the definition taken from @azure/arm-containerinstance', () => {
  it('accepts a minimal valid body and names what does not fit, with its path', () => {
    expect(definition.check('ContainerGroup', wire(), 'request')).toEqual([]);
    const body = wire() as {
      properties: Record<string, unknown> & { containers: Array<{ properties: Record<string, unknown> }> };
    };
    const container = body.properties.containers[0]!.properties;
    container['resources'] = undefined; // required by the definition, not by the mapper
    container['ports'] = [{ port: '80' }];
    body.properties['osType'] = 'Solaris';
    body.properties['provisioningState'] = 'Succeeded';
    body.properties['provisioningTimeoutInSeconds'] = 1800; // real ACI says it; the 2023-05-01 definition does not
    expect(
      definition
        .check('ContainerGroup', body, 'request')
        .map(({ path, kind }) => `${kind} ${path}`)
        .sort(),
    ).toEqual([
      'missing-required properties.containers[0].properties.resources',
      'read-only-in-request properties.provisioningState',
      'unknown-enum-value properties.osType',
      'unknown-property properties.provisioningTimeoutInSeconds',
      'wrong-type properties.containers[0].properties.ports[0].port',
    ]);
  });

  it('checks date-times and read-only parts of answers', () => {
    const answer = {
      ...wire(),
      id: '/subscriptions/x',
      properties: {
        ...(wire()['properties'] as object),
        instanceView: {
          state: 'Running',
          events: [
            {
              count: 1,
              firstTimestamp: 'yesterday',
              lastTimestamp: '2024-01-01T00:00:00Z',
              name: 'Pulled',
              message: 'ok',
              type: 'Normal',
            },
          ],
        },
      },
    };
    expect(definition.check('ContainerGroup', answer, 'response')).toEqual([
      expect.objectContaining({
        kind: 'wrong-type',
        path: 'properties.instanceView.events[0].firstTimestamp',
      }),
    ]);
  });

  it('reads every model of the mappers from the declarations, and finds a use for every Known* enum', () => {
    expect(definition.modelNames().filter(model => !definition.declares(model))).toEqual([]);
    const known = Object.keys(containerInstance).filter(name => name.startsWith('Known'));
    expect(known.length).toBeGreaterThan(10);
    const used = new Set<string>();
    for (const model of definition.modelNames()) {
      for (const property of definition.properties(model)) {
        const type = definition.declaredProperty(model, property)?.type;
        if (type && known.includes(`Known${type}`)) used.add(`Known${type}`);
      }
    }
    // Every extensible enum of the definition types some property, so every one is checked.
    expect([...used].sort()).toEqual(known.sort());
    expect(definition.knownValues('ContainerGroup', 'osType')).toEqual(['Windows', 'Linux']);
    expect(definition.knownValues('ContainerHttpGet', 'scheme')).toEqual(['http', 'https']);
  });
});

describe('every body on the wire, in a session using most of the API', () => {
  let h: Harness;
  beforeAll(async () => (h = await startHarness()));
  afterAll(() => h?.emulator.stop());

  function richGroup(location: string): ContainerGroup {
    const identity = `/subscriptions/${h.emulator.subscriptionId}/resourceGroups/${h.emulator.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vk`;
    return {
      location,
      tags: { owner: 'faithfulness' },
      zones: ['1'],
      identity: { type: 'SystemAssigned, UserAssigned', userAssignedIdentities: { [identity]: {} } },
      osType: 'Linux',
      restartPolicy: 'Always',
      sku: 'Standard',
      priority: 'Regular',
      imageRegistryCredentials: [{ server: 'registry.example.com', username: 'puller', password: 'secret' }],
      ipAddress: { type: 'Public', ports: [{ port: 80, protocol: 'TCP' }], dnsNameLabel: 'faithful-app' },
      dnsConfig: { nameServers: ['10.0.0.10'], searchDomains: 'default.svc.cluster.local' },
      diagnostics: {
        logAnalytics: { workspaceId: 'workspace', workspaceKey: 'key', logType: 'ContainerInsights' },
      },
      volumes: [
        { name: 'secret', secret: { 'token.txt': Buffer.from('s3cret').toString('base64') } },
        { name: 'scratch', emptyDir: {} },
        {
          name: 'share',
          azureFile: { shareName: 'data', storageAccountName: 'account', storageAccountKey: 'key' },
        },
        { name: 'repo', gitRepo: { repository: 'https://example.com/repo.git', directory: '.' } },
      ],
      initContainers: [
        {
          name: 'init',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'echo init'],
          environmentVariables: [{ name: 'PHASE', value: 'init' }],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'echo ready; sleep 600'],
          ports: [{ port: 80, protocol: 'TCP' }],
          environmentVariables: [
            { name: 'MODE', value: 'test' },
            { name: 'PASSWORD', secureValue: 'hidden' },
          ],
          resources: { requests: { cpu: 1, memoryInGB: 1.5 }, limits: { cpu: 2, memoryInGB: 2 } },
          volumeMounts: [
            { name: 'secret', mountPath: '/etc/secret', readOnly: true },
            { name: 'share', mountPath: '/data' },
            { name: 'repo', mountPath: '/src' },
          ],
          livenessProbe: { exec: { command: ['true'] }, periodSeconds: 10, failureThreshold: 3 },
          readinessProbe: { httpGet: { port: 80, path: '/healthz', scheme: 'http' }, initialDelaySeconds: 1 },
          securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
        },
      ],
    };
  }

  it('finds no violation of the definition, in either direction', async () => {
    const { client, emulator } = h;
    const rg = emulator.resourceGroup;
    const poll = { updateIntervalInMs: 20 };
    const created = await client.containerGroups.beginCreateOrUpdateAndWait(
      rg,
      'rich',
      richGroup(emulator.location),
      poll,
    );
    expect(created.ipAddress).toMatchObject({
      ip: expect.any(String),
      fqdn: `faithful-app.${emulator.location}.azurecontainer.io`,
    });
    expect(created.identity?.principalId).toEqual(expect.any(String));
    expect(created.imageRegistryCredentials).toEqual([
      { server: 'registry.example.com', username: 'puller' },
    ]);
    expect(created.volumes?.[0]).toEqual({ name: 'secret', secret: {} });
    await eventually(
      () => client.containers.listLogs(rg, 'rich', 'app', { tail: 10, timestamps: true }),
      logs => !!logs.content,
    );
    for await (const group of client.containerGroups.listByResourceGroup(rg)) expect(group.name).toBe('rich');
    for await (const group of client.containerGroups.list()) expect(group.name).toBe('rich');
    await client.containerGroups.update(rg, 'rich', { tags: { owner: 'faithfulness', pass: '2' } });
    const grant = await client.containers.executeCommand(rg, 'rich', 'app', {
      command: '/bin/sh',
      terminalSize: { rows: 24, cols: 80 },
    });
    const socket = new WebSocket(grant.webSocketUri!, { ca: emulator.caPem });
    await new Promise(resolve => socket.once('open', resolve));
    socket.send(grant.password!);
    socket.send(Buffer.from([0x04]));
    await new Promise(resolve => socket.once('close', resolve));
    await client.containers.attach(rg, 'rich', 'app');
    for await (const usage of client.location.listUsage(emulator.location)) expect(usage.unit).toBe('Count');
    for await (const capability of client.location.listCapabilities(emulator.location))
      expect(capability.resourceType).toBe('containerGroups');
    for await (const image of client.location.listCachedImages(emulator.location))
      expect(image.image).toBeTruthy();
    for await (const operation of client.operations.list())
      expect(operation.name).toMatch(/^Microsoft\.ContainerInstance\//);
    await client.containerGroups.getOutboundNetworkDependenciesEndpoints(rg, 'rich');
    await client.containerGroups.beginRestartAndWait(rg, 'rich', poll);
    await client.containerGroups.stop(rg, 'rich');
    await client.containerGroups.beginStartAndWait(rg, 'rich', poll);
    await expect(client.containers.listLogs(rg, 'rich', 'ghost')).rejects.toMatchObject({ statusCode: 404 });
    await client.containerGroups.beginDeleteAndWait(rg, 'rich', poll);

    expect(emulator.requests().length).toBeGreaterThan(20);
    expect(emulator.faithfulnessViolations()).toEqual([]);
  });

  it('records what a client sends outside the definition (ARM ignores it, the test should not)', async () => {
    const body = wire();
    (body['properties'] as Record<string, unknown>)['provisioningTimeoutInSeconds'] = 1800;
    const answer = await rawRequest(
      h.emulator,
      'PUT',
      `${groupPath(h.emulator, 'extra')}?api-version=2023-05-01`,
      { body },
    );
    expect(answer.status).toBe(201);
    expect(h.emulator.faithfulnessViolations('request')).toEqual([
      expect.objectContaining({
        kind: 'unknown-property',
        path: 'properties.provisioningTimeoutInSeconds',
        method: 'PUT',
        model: 'ContainerGroup',
      }),
    ]);
    expect(h.emulator.faithfulnessViolations('response')).toEqual([]);
  });
});
