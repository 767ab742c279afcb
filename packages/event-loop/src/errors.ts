/**
 * Error classes of `@net/event-loop`. Each extends {@link NetError} (from `@net/core`) with
 * a stable `code`; branch on `code`, not on `message`. A bad option is core's
 * `InvalidArgumentError`; an aborted task is a subclass of core's `AbortedError`.
 */
import { AbortedError, InvalidArgumentError, NetError } from '@net/core';
import type { EventHandler } from './event-handler.js';

export { InvalidArgumentError, NetError };

/** Which handler method was running when a handler failed. */
export type HandlerPhase =
  | 'wantsToReceive'
  | 'handleReceive'
  | 'wantsToSend'
  | 'handleSend'
  | 'handleClose'
  | 'socket'
  | 'callback';

/**
 * An event handler failed. It threw (`ERR_HANDLER_FAILED`) or its socket emitted `'error'`
 * (`ERR_HANDLER_SOCKET`):
 * the `EventLoop` removed the handler, closed its socket and passed this error to its
 * `onError` hook; the other handlers go on. `ERR_HANDLER_CALLBACK`: a callback a handler runs
 * for others (e.g. `ThreadPoolHandler`) threw; that handler stays registered.
 */
export class HandlerError extends NetError {
  /** The handler that failed (already removed from the loop). */
  readonly handler: EventHandler;
  /** The method that threw, or `'socket'` when the handler's socket emitted `'error'`. */
  readonly phase: HandlerPhase;

  constructor(handler: EventHandler, phase: HandlerPhase, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const name = handler.constructor.name;
    const message =
      phase === 'callback'
        ? `A callback run by event handler ${name} threw: ${detail}; the handler stays registered`
        : phase === 'socket'
          ? `The socket of event handler ${name} failed (${detail}); the handler was removed`
          : `Event handler ${name} was removed from the loop because ${phase}() threw: ${detail}; ` +
            'fix the handler or catch the condition inside it to keep it registered';
    super(
      phase === 'socket'
        ? 'ERR_HANDLER_SOCKET'
        : phase === 'callback'
          ? 'ERR_HANDLER_CALLBACK'
          : 'ERR_HANDLER_FAILED',
      message,
      { cause },
    );
    this.handler = handler;
    this.phase = phase;
  }
}

/** `WorkerPool.run` was called while `maxQueue` tasks were already waiting. */
export class QueueFullError extends NetError {
  /** The limit in force. */
  readonly maxQueue: number;

  constructor(maxQueue: number) {
    super(
      'ERR_QUEUE_FULL',
      `The worker pool queue is full (maxQueue ${maxQueue} tasks waiting); shed this request, ` +
        'retry later, or raise maxQueue / maxWorkers if the load is expected',
    );
    this.maxQueue = maxQueue;
  }
}

/** A task was cancelled through its `signal`, before or while it ran (`ERR_ABORTED`). */
export class TaskAbortedError extends AbortedError {
  /** `true` when the task had already started (its worker was terminated and replaced). */
  readonly started: boolean;

  constructor(started: boolean, reason: unknown) {
    super(
      started
        ? 'The task was aborted by its signal while running; its worker was terminated and replaced'
        : 'The task was aborted by its signal before it started; it was removed from the queue',
      reason,
    );
    this.started = started;
  }
}

/** The task function threw or returned a rejected promise; `cause` is the worker's error. */
export class TaskFailedError extends NetError {
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ERR_TASK_FAILED', `The task function failed in its worker: ${detail}`, { cause });
  }
}

/**
 * The worker running the task died: an uncaught exception in the worker (`cause`), or the
 * worker exited (`exitCode`, e.g. `process.exit()` in task code). Only that task fails; the
 * worker is replaced and tasks queued behind it run on the replacement.
 */
export class WorkerCrashedError extends NetError {
  /** The worker's exit code, when it exited rather than threw. */
  readonly exitCode: number | undefined;

  constructor(cause: unknown, exitCode?: number) {
    const detail =
      exitCode === undefined
        ? `threw an uncaught exception: ${cause instanceof Error ? cause.message : String(cause)}`
        : `exited with code ${exitCode}`;
    super(
      exitCode === undefined ? 'ERR_WORKER_CRASHED' : 'ERR_WORKER_EXITED',
      `The worker running this task ${detail}; the worker was replaced. ` +
        'Task code must not call process.exit() or leave exceptions uncaught',
      cause === undefined ? undefined : { cause },
    );
    this.exitCode = exitCode;
  }
}

/** The task module could not be loaded, or its default export is not a function. */
export class WorkerInitError extends NetError {
  /** The module the pool tried to load. */
  readonly filename: string;

  constructor(filename: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      'ERR_WORKER_INIT',
      `Worker could not load the task module ${filename}: ${detail}; ` +
        'check that the file exists and that its default export is the task function',
      { cause },
    );
    this.filename = filename;
  }
}

/** The pool was closed (`close()`) or destroyed (`destroy()`): no new tasks, or task dropped. */
export class PoolClosedError extends NetError {
  constructor(destroyed: boolean) {
    super(
      destroyed ? 'ERR_POOL_DESTROYED' : 'ERR_POOL_CLOSED',
      destroyed
        ? 'The worker pool was destroyed before this task finished; the task was not completed'
        : 'The worker pool is closing or closed and accepts no new tasks; create a new pool',
    );
  }
}
