/** The messages the primary and its workers exchange over the IPC channel (JSON). */

/** Key of every message of ours, so a worker's own `process.send()` messages pass through. */
export const TAG = '@net/ipc';

/**
 * primary → worker: a socket follows as the handle, or the pool's `workerData`;
 * worker → primary: `done` when a socket closes, `data?` to ask for the `workerData`.
 */
export type WorkerMessage =
  | { [TAG]: 'ready' }
  | { [TAG]: 'data?' }
  | { [TAG]: 'data'; data: unknown }
  | { [TAG]: 'socket'; id: number }
  | { [TAG]: 'done'; id: number }
  | { [TAG]: 'shutdown'; timeout: number };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && TAG in value;
}
