// Task module for the event-loop bench: a tiny task, so the pool's per-task overhead dominates.
export default function tiny(n) {
  return n + 1;
}
