import { describe, expect, it } from 'vitest';

import { canonicalQuery, percentEncode, signatureV1, stringToSign } from '../../src/index.js';

describe('signature v1', () => {
  it("percent-encodes as RFC 3986: space %20, * %2A, ~ kept, !'() escaped", () => {
    expect(percentEncode("a b*c~d!e'f(g)h+i/j=k&l")).toBe('a%20b%2Ac~d%21e%27f%28g%29h%2Bi%2Fj%3Dk%26l');
    expect(percentEncode('中')).toBe('%E4%B8%AD');
  });

  it("signs the example of Alibaba Cloud's signature documentation to its published value", () => {
    const params = new Map(
      Object.entries({
        Timestamp: '2016-02-23T12:46:24Z',
        Format: 'XML',
        AccessKeyId: 'testid',
        Action: 'DescribeRegions',
        SignatureMethod: 'HMAC-SHA1',
        SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
        Version: '2014-05-26',
        SignatureVersion: '1.0',
      }),
    );
    const text = stringToSign('GET', params);
    expect(text).toBe(
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1' +
        '%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0' +
        '%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    );
    expect(signatureV1(text, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('leaves Signature out of the canonical query and sorts by name', () => {
    const params = new Map([
      ['b', '2'],
      ['Signature', 'x'],
      ['A', '1'],
      ['a', '3'],
    ]);
    expect(canonicalQuery(params)).toBe('A=1&a=3&b=2');
  });
});
