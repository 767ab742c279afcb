/**
 * Serves the calls made on one stream strictly one after the other, in the order they
 * were made: a second `recvArray` must not take bytes while the first is still reading,
 * and a second `sendArray` must not interleave its chunks with the first's.
 */
const receiving = new WeakMap<object, Promise<unknown>>();
const sending = new WeakMap<object, Promise<unknown>>();

function inOrder<T>(
  queues: WeakMap<object, Promise<unknown>>,
  key: object,
  run: () => Promise<T>,
): Promise<T> {
  const previous = queues.get(key);
  const next = previous === undefined ? run() : previous.then(run, run);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  // Forget a finished stream's queue, unless a later call replaced it.
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

/** Runs a receive on `key` after every earlier receive on it has settled. */
export function receiveInOrder<T>(key: object, run: () => Promise<T>): Promise<T> {
  return inOrder(receiving, key, run);
}

/** Runs a send on `key` after every earlier send on it has settled. */
export function sendInOrder<T>(key: object, run: () => Promise<T>): Promise<T> {
  return inOrder(sending, key, run);
}
