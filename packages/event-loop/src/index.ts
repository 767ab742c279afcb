/**
 * `@net/event-loop`: the event-driven I/O recipe (Python Cookbook 11.12) on Node. Handler
 * objects say whether they want to receive or send and an {@link EventLoop} calls them when
 * their socket is ready; blocking work goes to a {@link WorkerPool} of worker threads so the
 * loop never stalls; {@link monitorLoop} and {@link underPressure} tell when it does.
 *
 * @example
 * ```ts
 * import { EventLoop, WorkerPool, createTcpEchoServer, createUdpPoolServer, underPressure }
 *   from '@net/event-loop';
 *
 * const loop = new EventLoop({ onError: (err) => console.error(err.code, err.message) });
 * const echo = await createTcpEchoServer(loop, { port: 25000 });
 * // fib.mjs: export default (n) => { const f = (k) => (k < 2 ? k : f(k - 1) + f(k - 2)); return f(Number(n)); }
 * const pool = new WorkerPool({ filename: new URL('./fib.mjs', import.meta.url), maxWorkers: 4 });
 * await createUdpPoolServer(loop, pool, { port: 16000 }); // echo 30 | nc -u localhost 16000
 * setInterval(() => console.log(underPressure() || 'healthy'), 1000).unref();
 * ```
 *
 * @packageDocumentation
 */

/** Python's `time.ctime()` text, which the recipe's time server sends (from `@net/udp-server`). */
export { formatCtime } from '@net/udp-server';
export {
  HandlerError,
  type HandlerPhase,
  InvalidArgumentError,
  NetError,
  PoolClosedError,
  QueueFullError,
  TaskAbortedError,
  TaskFailedError,
  WorkerCrashedError,
  WorkerInitError,
} from './errors.js';
export { EventHandler, type HandlerSocket, type ReceiveArgs } from './event-handler.js';
export {
  EVENT_LOOP_DEFAULTS,
  EventLoop,
  type EventLoopOptions,
  type EventLoopStats,
} from './event-loop.js';
export {
  type ClientHandlerFactory,
  createTcpEchoServer,
  createUdpEchoServer,
  createUdpPoolServer,
  createUdpTimeServer,
  EXAMPLE_DEFAULTS,
  type ListenOptions,
  type PoolCallback,
  TcpClient,
  TcpEchoClient,
  TcpServer,
  ThreadPoolHandler,
  UdpEchoServer,
  UdpPoolServer,
  UdpServer,
  UdpTimeServer,
} from './examples.js';
export {
  type LoopHealth,
  type LoopMonitor,
  MONITOR_LOOP_DEFAULTS,
  type MonitorLoopOptions,
  monitorLoop,
  type PressureOptions,
  type PressureReason,
  UNDER_PRESSURE_DEFAULTS,
  underPressure,
} from './loop-health.js';
export {
  type MapOptions,
  type RunOptions,
  WORKER_POOL_DEFAULTS,
  WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
} from './worker-pool.js';
