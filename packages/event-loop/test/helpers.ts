import { expect } from 'vitest';

/** Polls `check` every 10 ms, at most `tries` times, then asserts it holds. */
export async function until(check: () => boolean, tries = 300): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

/** Resolves with the error `promise` rejects with; fails the test if it fulfils. */
export async function rejection<E = Error & { code: string }>(
  promise: Promise<unknown>,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected the promise to reject');
}
