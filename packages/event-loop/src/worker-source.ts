/**
 * The code every pool worker runs, as a string evaluated by `new Worker(code, { eval: true })`,
 * so the package needs no separate worker file next to its bundle.
 *
 * Protocol (one postMessage per task each way, no task ids): the main thread posts the task
 * argument itself; the worker runs tasks strictly in arrival order, one at a time, and answers
 * each with `[0, result]` (fulfilled) or `[1, error]` (rejected, error as plain data), so the
 * main thread matches answers to its per-worker FIFO of tasks in flight. `[2, error]` means the
 * task module failed to load.
 */
export const WORKER_SOURCE = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
let fn = null;
let busy = false;
const backlog = [];
let head = 0;
function payload(e) {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack, code: e.code };
  try { return { value: structuredClone(e) }; } catch { return { value: String(e) }; }
}
function ok(v) {
  try { parentPort.postMessage([0, v]); }
  catch (e) { parentPort.postMessage([1, payload(e)]); }
}
function fail(e) { parentPort.postMessage([1, payload(e)]); }
function runOne(arg) {
  let r;
  try { r = fn(arg); } catch (e) { fail(e); return; }
  if (r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function') {
    busy = true;
    r.then((v) => { busy = false; ok(v); drain(); }, (e) => { busy = false; fail(e); drain(); });
    return;
  }
  ok(r);
}
function drain() {
  while (!busy && head < backlog.length) {
    const arg = backlog[head];
    backlog[head++] = undefined;
    runOne(arg);
  }
  if (head === backlog.length) { backlog.length = 0; head = 0; }
}
parentPort.on('message', (arg) => {
  if (busy || fn === null || head < backlog.length) backlog.push(arg);
  else runOne(arg);
});
import(workerData.url).then((mod) => {
  let f = mod.default;
  if (f !== null && typeof f === 'object' && typeof f.default === 'function') f = f.default;
  if (typeof f !== 'function') throw new TypeError('the module has no default export function');
  fn = f;
  drain();
}, (e) => { throw e; }).catch((e) => { parentPort.postMessage([2, payload(e)]); });
`;
