import { ApiError } from "./api-error.js";

/**
 * Runs requests one at a time in arrival order: the model holds one KV cache and one sequence, so a second
 * generation cannot run beside the first. At most `capacity` requests wait; one more is refused with 429.
 */
export class RequestQueue {
  private readonly capacity: number;
  private readonly waiting: Array<{ readonly grant: () => void }> = [];
  private running = false;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Requests waiting for the model (the one running not counted). */
  get depth(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once the model is this request's; rejects with 429 when the queue is full
   * and with the signal's reason when the client leaves while waiting (its place is given up).
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (!this.running) {
      this.running = true;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.capacity) {
      return Promise.reject(new ApiError(429, `the server is busy: ${this.waiting.length} requests are already waiting; retry later`, { code: "queue_full" }));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener("abort", leave);
          resolve(this.releaser());
        },
      };
      const leave = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ApiError(499, "the client closed the request while it waited", { code: "client_closed" }));
      };
      if (signal?.aborted) return leave();
      signal?.addEventListener("abort", leave, { once: true });
      this.waiting.push(entry);
    });
  }

  /** A release that hands the model to the next waiting request; calling it twice does nothing more. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.running = false;
    };
  }
}
