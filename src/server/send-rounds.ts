/**
 * Sending to thousands of sockets without holding the event loop, and with fewer system calls the
 * busier the server is. A round visits every client once, in slices of about `sliceMs`, yielding
 * to the event loop between slices so that the engine keeps committing and publishing meanwhile.
 * Each visit writes the client everything published since its last visit, in one corked write.
 *
 * While a round takes less time than a view takes to change (a thousand sockets, ten changes a
 * second), every visit writes one frame, as a plain loop would. When it takes longer (ten thousand
 * sockets), the sockets reached late in a round are written two or three frames in one system call
 * instead of one call each. The kernel's write is most of a send's cost, so the server then spends
 * less CPU per frame the more it has to send, where a loop of one write per frame and socket falls
 * further behind. Every client still gets every frame, in order: nothing is merged or dropped.
 */

/** About how long one slice of a round may keep the event loop. */
export const SLICE_MS = 5;
/** The clock is read once per this many visits (a visit is a few microseconds). */
const CLOCK_EVERY = 16;

export class SendRounds<C> {
  private order: C[] = [];
  private next = 0;
  private running = false;
  private requested = false;

  /**
   * `clients()`: everyone to visit, read at the start of each round (a client that joins later
   * starts from its snapshot). `visit(client)`: writes the client what it has not been sent;
   * must not throw. `roundDone()`: after every round, e.g. to drop what every client has.
   */
  constructor(
    private readonly clients: () => Iterable<C>,
    private readonly visit: (client: C) => void,
    private readonly roundDone: () => void = () => undefined,
    private readonly sliceMs = SLICE_MS,
  ) {}

  /**
   * Something was published: a round starts now (its first slice runs before this returns), or,
   * while one is under way, another follows it, for the clients it had already visited.
   */
  request(): void {
    if (this.running) {
      this.requested = true;
      return;
    }
    this.start();
  }

  /** True while a round is under way. */
  get busy(): boolean {
    return this.running;
  }

  private start(): void {
    this.running = true;
    this.requested = false;
    this.order = [...this.clients()];
    this.next = 0;
    this.slice();
  }

  private readonly slice = (): void => {
    const order = this.order;
    const end = performance.now() + this.sliceMs;
    while (this.next < order.length) {
      this.visit(order[this.next++] as C);
      if (this.next % CLOCK_EVERY === 0 && this.next < order.length && performance.now() >= end) {
        setImmediate(this.slice);
        return;
      }
    }
    this.running = false;
    this.order = [];
    this.roundDone();
    if (this.requested) this.start();
  };
}
