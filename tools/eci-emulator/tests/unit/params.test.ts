import { describe, expect, it } from 'vitest';

import { EciApiError } from '../../src/rpc/errors.js';
import { Params } from '../../src/rpc/params.js';

const params = (entries: Record<string, string>) => Params.fromFlat(new Map(Object.entries(entries)));

function refusedCode(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof EciApiError) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('flattened parameters', () => {
  it('turn back into lists and structures', () => {
    const tree = params({
      'Container.1.Name': 'app',
      'Container.1.Command.1': 'sh',
      'Container.1.Command.2': '-c',
      'Container.2.Name': 'side',
      'Tag.1.Key': 'k',
      'Tag.1.Value': 'v',
      'Volume.1.ConfigFileVolume.ConfigFileToPath.2.Path': 'b',
      'Volume.1.ConfigFileVolume.ConfigFileToPath.1.Path': 'a',
      'Volume.1.NFSVolume.Server': 'nfs.example',
    });
    const containers = tree.list('Container');
    expect(containers.map(container => container.string('Name'))).toEqual(['app', 'side']);
    expect(containers[0]!.strings('Command')).toEqual(['sh', '-c']);
    expect(containers[1]!.path).toBe('Container.2');
    const volume = tree.list('Volume')[0]!;
    expect(
      volume
        .object('ConfigFileVolume')!
        .list('ConfigFileToPath')
        .map(file => file.string('Path')),
    ).toEqual(['a', 'b']);
    expect(volume.object('NFSVolume')!.string('Server')).toBe('nfs.example');
    expect(tree.list('Tag')[0]!.string('Value')).toBe('v');
  });

  it('close gaps in list indexes, keeping their order', () => {
    expect(params({ 'Arg.3': 'c', 'Arg.10': 'd', 'Arg.1': 'a' }).strings('Arg')).toEqual(['a', 'c', 'd']);
  });

  it('refuse a value that is also a structure, index 0 and empty segments, naming the parameter', () => {
    expect(refusedCode(() => params({ 'Tag.1': 'x', 'Tag.1.Key': 'k' }))).toMatch(
      /^InvalidParameter: .*"Tag\.1/,
    );
    expect(refusedCode(() => params({ 'Tag.0.Key': 'k' }))).toMatch(/^InvalidParameter: .*"Tag"/);
    expect(refusedCode(() => params({ 'Tag..Key': 'k' }))).toMatch(/^InvalidParameter: .*"Tag\.\.Key"/);
    expect(refusedCode(() => params({ 'Container.1': '[object Object]' }).list('Container'))).toMatch(
      /^InvalidParameter: .*"Container\.1"/,
    );
  });

  it('read typed values and name the parameter when one is malformed or missing', () => {
    const tree = params({
      'Container.1.Cpu': 'lots',
      'Container.1.Stdin': 'yes',
      Limit: '21',
      Ids: '["a",1]',
    });
    const container = tree.list('Container')[0]!;
    expect(refusedCode(() => container.number('Cpu'))).toBe(
      'InvalidParameter: The specified parameter "Container.1.Cpu" is not valid. Expected a number.',
    );
    expect(refusedCode(() => container.boolean('Stdin'))).toMatch(/"Container\.1\.Stdin"/);
    expect(refusedCode(() => container.requiredString('Image'))).toBe(
      'MissingParameter: The input parameter "Container.1.Image" that is mandatory for processing this request is not supplied.',
    );
    expect(refusedCode(() => tree.integer('Limit', { min: 1, max: 20 }))).toMatch(/"Limit".*from 1 to 20/);
    expect(refusedCode(() => tree.jsonStrings('Ids'))).toMatch(/"Ids".*JSON array of strings/);
  });

  it('treat names such as __proto__ as plain names', () => {
    const tree = params({ '__proto__.x': '1', 'constructor.1': 'c' });
    expect(tree.object('__proto__')!.string('x')).toBe('1');
    expect(tree.strings('constructor')).toEqual(['c']);
  });
});
