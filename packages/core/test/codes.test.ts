/**
 * One condition, one code, one class, across the whole toolkit: every `packages/*` and
 * `apps/*` source is scanned (scripts/list-error-codes.mjs, the same scan that writes the
 * README's table) for the codes error classes define, and the running Node is asked for
 * its own codes.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Definition {
  code: string;
  className: string;
  package: string;
  file: string;
  line: number;
}

/**
 * Codes that more than one class may define, with the reason. A subclass that inherits a
 * code without passing it again is not a definition and needs no entry here.
 * (None today: keep this empty unless a case is argued in review.)
 */
const SHARED_CODE_EXCEPTIONS: Readonly<Record<string, string>> = {};

function scan(): Definition[] {
  const run = spawnSync(process.execPath, ['scripts/list-error-codes.mjs', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`scripts/list-error-codes.mjs failed (${run.status}): ${run.stderr}`);
  }
  return (JSON.parse(run.stdout) as { definitions: Definition[] }).definitions;
}

function nodeCodes(): Set<string> {
  const run = spawnSync(
    process.execPath,
    ['--expose-internals', '-p', "Object.keys(require('internal/errors').codes).join('\\n')"],
    { encoding: 'utf8', timeout: 30_000 },
  );
  const codes = (run.stdout ?? '').split('\n').filter((line) => /^ERR_[A-Z0-9_]+$/.test(line));
  if (run.status !== 0 || codes.length < 100) {
    throw new Error(
      `Could not read Node's own error codes from ${process.execPath} ${process.version} ` +
        `(\`node --expose-internals -p "Object.keys(require('internal/errors').codes)"\` ` +
        `exited ${run.status}, ${codes.length} codes; stderr: ${run.stderr}). ` +
        'This test needs that list to check that no @net code equals one of Node’s; ' +
        'if Node moved internal/errors, update nodeCodes() in this test',
    );
  }
  return new Set(codes);
}

const where = (d: Definition) => `${d.className} (${d.package}, ${d.file}:${d.line})`;

describe('error codes across the toolkit', () => {
  const definitions = scan();

  it('the scan finds the shared classes of @net/core (so an empty scan cannot pass)', () => {
    const core = definitions.filter((d) => d.package === '@net/core');
    const found = Object.fromEntries(core.map((d) => [d.code, d.className]));
    expect(found).toMatchObject({
      ERR_INVALID_ARGUMENT: 'InvalidArgumentError',
      ERR_ABORTED: 'AbortedError',
      ERR_TIMEOUT: 'TimeoutError',
      ERR_CONNECTION_CLOSED: 'ConnectionClosedError',
      ERR_CLIENT_CLOSED: 'ClientClosedError',
      ERR_SERVER_STATE: 'ServerStateError',
      ERR_LISTEN: 'ListenError',
    });
    expect(new Set(definitions.map((d) => d.package)).size).toBeGreaterThan(5);
  });

  it('every code is defined by exactly one class', () => {
    const byCode = new Map<string, Definition[]>();
    for (const d of definitions) byCode.set(d.code, [...(byCode.get(d.code) ?? []), d]);
    const offending = [...byCode]
      .filter(([code, list]) => list.length > 1 && SHARED_CODE_EXCEPTIONS[code] === undefined)
      .map(([code, list]) => `  ${code}: ${list.map(where).join('; ')}`);
    expect(
      offending,
      'These codes are defined by more than one class. One condition has one code and one ' +
        'class: throw the shared class (or a subclass that does not pass the code again), or ' +
        `give the other condition its own code:\n${offending.join('\n')}\n`,
    ).toEqual([]);
  });

  it("no code of ours equals one of Node's own", () => {
    const node = nodeCodes();
    const offending = definitions
      .filter((d) => node.has(d.code))
      .map((d) => `  ${d.code}: ${where(d)}`);
    expect(
      offending,
      `These codes are Node's own (${process.version}), so a user cannot tell our error from ` +
        `Node's; rename them:\n${offending.join('\n')}\n`,
    ).toEqual([]);
  });
});
