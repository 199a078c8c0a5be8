import { describe, expect, it, vi } from 'vitest';

import { EXIT_USAGE, main } from '../../../src/cli/main.js';

function captureStderr() {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

describe('virtual-kubelet main', () => {
  it.each([
    [['--provider', 'mock', '--pod-sync-workers', '0']],
    [['--bogus']],
    [['--provider', 'mock', '--os', 'plan9']],
    [[]],
  ])('exits with 2 on bad flags %j', async argv => {
    const stderr = captureStderr();
    try {
      expect(await main(argv)).toBe(EXIT_USAGE);
    } finally {
      stderr.restore();
    }
  });

  it('exits with 2 and names the problem for an unknown provider', async () => {
    const stderr = captureStderr();
    try {
      expect(await main(['--provider', 'nosuch', '--kubeconfig', '/nonexistent'])).toBe(EXIT_USAGE);
      expect(stderr.text()).toContain('unknown provider "nosuch"');
    } finally {
      stderr.restore();
    }
  });

  it('exits with 2 when the kubeconfig is missing outside a cluster', async () => {
    const stderr = captureStderr();
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      expect(await main(['--provider', 'mock', '--kubeconfig', '/nonexistent/kubeconfig'])).toBe(EXIT_USAGE);
      expect(stderr.text()).toContain('/nonexistent/kubeconfig does not exist');
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
      stderr.restore();
    }
  });

  it('lists providers and prints its version', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      out.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['providers'])).toBe(0);
      expect(await main(['version'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).toMatch(/mock\ncri\nfargate/);
    expect(out.join('')).toMatch(/Version: \d+\.\d+\.\d+, kubelet version: v1\.36\.3-vkubelet-/);
  });
});
