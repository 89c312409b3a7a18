/**
 * What rounds (send-rounds.ts) hand out: the entries published and not yet had by every client,
 * numbered in order. A client keeps the number of the first entry it has not had (its `nextSeq`),
 * and after each round the entries every client has had are dropped: the log holds only what some
 * client still waits for, and is empty between rounds. Clients read it in place, by number, so a
 * round copies nothing per visit.
 */
export class RoundLog<T> {
  /** `entries[i]` has sequence number `firstSeq + i`. */
  private entries: T[] = [];
  private firstSeq = 0;

  /** The number the next entry will have: where a client that is current starts. */
  get nextSeq(): number {
    return this.firstSeq + this.entries.length;
  }

  push(entry: T): void {
    this.entries.push(entry);
  }

  /** The entry numbered `seq`, while the log holds it. */
  at(seq: number): T | undefined {
    return this.entries[seq - this.firstSeq];
  }

  /**
   * Drops the entries before the lowest of `positions` (the clients' `nextSeq`), handing each to
   * `dropped` first, oldest first.
   */
  trim(positions: Iterable<number>, dropped?: (entry: T) => void): void {
    let lowest = this.nextSeq;
    for (const seq of positions) if (seq < lowest) lowest = seq;
    const count = lowest - this.firstSeq;
    if (count <= 0) return;
    if (dropped) for (let i = 0; i < count; i++) dropped(this.entries[i] as T);
    this.entries = this.entries.slice(count);
    this.firstSeq = lowest;
  }

  /** Drops every entry; numbering goes on from where it was. */
  clear(): void {
    this.firstSeq = this.nextSeq;
    this.entries = [];
  }
}
