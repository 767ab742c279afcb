/**
 * The calls waiting on a reader, first come first served. Most of the time it holds one
 * call at a time, pushed and taken off per read: a head index and slots that are reused,
 * instead of `Array#shift`, which V8 runs in C++ for an array it has emptied, and whose
 * empty array must grow again on the next push.
 */
export class CallQueue<T> {
  readonly #slots: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  get length(): number {
    return this.#tail - this.#head;
  }

  /** The oldest call, or `undefined` when none waits. */
  get first(): T | undefined {
    return this.#head < this.#tail ? this.#slots[this.#head] : undefined;
  }

  push(call: T): void {
    if (this.#tail === this.#slots.length) this.#slots.push(call);
    else this.#slots[this.#tail] = call;
    this.#tail++;
  }

  /** Drops the oldest call. */
  shift(): void {
    this.#slots[this.#head] = undefined;
    if (++this.#head === this.#tail) this.#head = this.#tail = 0;
  }

  /** Where `call` is in line (0 = first), or -1. */
  indexOf(call: T): number {
    for (let i = this.#head; i < this.#tail; i++)
      if (this.#slots[i] === call) return i - this.#head;
    return -1;
  }

  /** Takes the call at `index` (as `indexOf` counts) out of the line. */
  removeAt(index: number): void {
    const at = this.#head + index;
    this.#slots.copyWithin(at, at + 1, this.#tail);
    this.#slots[--this.#tail] = undefined;
    if (this.#head === this.#tail) this.#head = this.#tail = 0;
  }

  /** Empties the line, returning its calls in order. */
  takeAll(): T[] {
    const calls = this.#slots.slice(this.#head, this.#tail) as T[];
    this.#slots.fill(undefined, this.#head, this.#tail);
    this.#head = this.#tail = 0;
    return calls;
  }
}
