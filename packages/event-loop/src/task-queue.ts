/**
 * A growable ring buffer: O(1) push, shift and unshift, no per-item allocation. The pool's
 * queue holds up to `maxQueue` tasks, and `Array#shift` on a long array is not O(1) everywhere.
 */
export class TaskQueue<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  /** Number of items held. */
  length = 0;

  push(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & (this.items.length - 1)] = item;
    this.length++;
  }

  unshift(item: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.length++;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.length--;
    return item;
  }

  /** Removes and returns the newest item. */
  pop(): T | undefined {
    if (this.length === 0) return undefined;
    this.length--;
    const at = (this.head + this.length) & (this.items.length - 1);
    const item = this.items[at];
    this.items[at] = undefined;
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  private grow(): void {
    const size = this.items.length;
    const next: (T | undefined)[] = new Array(size * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & (size - 1)];
    this.items = next;
    this.head = 0;
  }
}
