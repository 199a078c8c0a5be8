import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory for kubeconfigs and the files they point at. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'vk-kubeconfig-'));

  write(name: string, content: string): string {
    const file = join(this.path, name);
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export const base64 = (text: string): string => Buffer.from(text).toString('base64');
