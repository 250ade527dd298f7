// A list reused from item to item of a long loop. Emptied by forgetting its size: `list.length = 0`
// gives its storage back, so the next push allocates it again (about 150 bytes, for every item).
export class Scratch<T> {
  private readonly items: T[] = [];
  size = 0;

  push(item: T): void {
    this.items[this.size++] = item;
  }

  clear(): void {
    this.size = 0;
  }

  get(i: number): T {
    return this.items[i]!;
  }

  includes(item: T): boolean {
    for (let i = 0; i < this.size; i++) if (this.items[i] === item) return true;
    return false;
  }

  /** Its items, in a list of their exact size. */
  copy(): T[] {
    return this.items.slice(0, this.size);
  }
}
