import type { KubeClient, RequestOptions } from '../../../src/kube/client.js';

/**
 * A stand-in for core's KubeClient where code takes `Pick<KubeClient, 'requestJson'>`: every call
 * goes to `answer` with its method, path and request body.
 */
export function fakeApi(
  answer: (method: string, path: string, body: unknown) => Promise<unknown>,
): Pick<KubeClient, 'requestJson'> {
  return {
    requestJson: <T>(method: string, path: string, options: RequestOptions = {}) =>
      answer(method, path, options.body) as Promise<T>,
  };
}
