// The published types as a TypeScript user compiles them: with and without a lib that
// declares Float16Array (ES2025 / esnext.float16), against the built declaration files.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runPeer } from '@net/test-peers';
import { describe, expect, it } from 'vitest';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const fixture = (name: string) => fileURLToPath(new URL(`./types/${name}`, import.meta.url));

async function compile(file: string, lib: string) {
  return runPeer(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      'false',
      '--target',
      'ES2022',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      '--lib',
      lib,
      file,
    ],
    { timeout: 60_000 },
  );
}

// Each test runs a whole tsc, which can take well over vitest's default 5 s on a busy machine.
describe('published types', { timeout: 60_000 }, () => {
  it('NumericArray includes Float16Array where the lib declares it', async () => {
    const result = await compile(fixture('float16.ts'), 'ES2023,esnext.float16');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('compiles with a lib that has no Float16Array', async () => {
    const result = await compile(fixture('no-float16.ts'), 'ES2023');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
