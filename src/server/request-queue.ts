import { ApiError } from "./api-error.js";

/**
 * Lets requests hold up to `slots` sequences of the batched model at once (one each, or n for a request with n
 * choices) and the rest wait in arrival order: a request is admitted only with all its slots, and never ahead of
 * an earlier one, so two multi-choice requests cannot each hold part of what they need. At most `capacity`
 * requests wait; one more is refused with 429.
 */
export class RequestQueue {
  private readonly capacity: number;
  private readonly slots: number;
  private readonly waiting: Array<{ readonly count: number; readonly grant: () => void }> = [];
  private running = 0;

  constructor(capacity: number, slots = 1) {
    this.capacity = capacity;
    this.slots = slots;
  }

  /** Requests running (holding a slot). */
  get active(): number {
    return this.running;
  }

  /** Requests waiting for a slot (those running not counted). */
  get depth(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once `count` slots are this request's; rejects with 400 when the server has
   * fewer slots than that, with 429 when the queue is full, and with 499 when the client leaves while waiting
   * (its place is given up).
   */
  acquire(signal?: AbortSignal, count = 1): Promise<() => void> {
    if (count > this.slots) {
      return Promise.reject(
        new ApiError(400, `n = ${count} needs ${count} parallel sequences; this server runs ${this.slots} (gemma serve --parallel)`, { param: "n", code: "invalid_value" }),
      );
    }
    if (this.waiting.length === 0 && this.running + count <= this.slots) {
      this.running += count;
      return Promise.resolve(this.releaser(count));
    }
    if (this.waiting.length >= this.capacity) {
      return Promise.reject(new ApiError(429, `the server is busy: ${this.waiting.length} requests are already waiting; retry later`, { code: "queue_full" }));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        count,
        grant: () => {
          signal?.removeEventListener("abort", leave);
          resolve(this.releaser(count));
        },
      };
      const leave = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        this.admit();
        reject(new ApiError(499, "the client closed the request while it waited", { code: "client_closed" }));
      };
      if (signal?.aborted) return leave();
      signal?.addEventListener("abort", leave, { once: true });
      this.waiting.push(entry);
    });
  }

  /** A release that frees `count` slots for the waiting requests; calling it twice does nothing more. */
  private releaser(count: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= count;
      this.admit();
    };
  }

  /** Grants waiting requests in order while the first one's slots are free. */
  private admit(): void {
    while (this.waiting.length > 0 && this.running + this.waiting[0]!.count <= this.slots) {
      const next = this.waiting.shift()!;
      this.running += next.count;
      next.grant();
    }
  }
}
