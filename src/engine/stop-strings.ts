import { GemmaError } from "../util/errors.js";

/**
 * Ends generation at the first occurrence of any stop string in the streamed text, wherever token boundaries fall.
 * Text that could still turn out to be the start of a stop string is held back until it cannot; the stop string
 * itself is never emitted.
 */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  private held = "";
  private done = false;

  constructor(stops: readonly string[]) {
    for (const s of stops) if (typeof s !== "string" || s === "") throw new GemmaError("BAD_PROMPT", "stop strings must be non-empty strings");
    this.stops = stops;
  }

  /** Whether a stop string has been seen (push then returns "" for ever). */
  get stopped(): boolean {
    return this.done;
  }

  /** Adds streamed text; returns the part that is safe to show now. */
  push(text: string): string {
    if (this.done) return "";
    const buf = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.done = true;
      this.held = "";
      return buf.slice(0, cut);
    }
    const keep = this.partialLength(buf);
    this.held = buf.slice(buf.length - keep);
    return buf.slice(0, buf.length - keep);
  }

  /** At the end of generation: whatever was held back (no stop string completed). */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }

  /** Length of the longest suffix of buf that is a proper prefix of some stop string. */
  private partialLength(buf: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buf.length); n > best; n--) {
        if (buf.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
