import { GemmaError } from "../util/errors.js";

const PAGE = 65536;
/** wasm32 memories address at most 4 GiB (65536 pages). */
const MAX_PAGES = 65536;

/**
 * Runs a memory allocation or growth. A JavaScript engine may refuse memory below the wasm32 limit (a browser
 * tab's budget, a 32-bit system), which it reports as a RangeError: turn that into an error that says so.
 */
function reserve<T>(allocate: () => T, bytes: number): T {
  try {
    return allocate();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new GemmaError(
      "MODEL_BAD_CONFIG",
      `this JavaScript engine could not provide ${(bytes / 2 ** 30).toFixed(2)} GiB of WebAssembly memory (${e.message}); ` +
        "the model and its context need that much: close other tabs or programs, or use a smaller model or context",
      { cause: e },
    );
  }
}

/**
 * One WebAssembly.Memory holding weights (in their stored encoding), activations and the KV cache, so that the
 * reference kernels (reading typed-array views) and the WASM kernels (reading pointers) see the same bytes.
 * Allocation is a bump pointer: everything is planned at load / context creation, nothing is freed per token.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  private top: number;

  constructor(opts: { initialBytes?: number; shared?: boolean } = {}) {
    const initial = Math.max(1, Math.ceil((opts.initialBytes ?? PAGE) / PAGE));
    if (initial > MAX_PAGES) throw new GemmaError("MODEL_BAD_CONFIG", `${opts.initialBytes} bytes do not fit a 4 GiB WebAssembly memory`);
    this.memory = reserve(() => new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: opts.shared ?? false }), initial * PAGE);
    // Address 0 stays unused so that a pointer of 0 can mean "none".
    this.top = 64;
  }

  /** Bytes allocated so far. */
  get used(): number {
    return this.top;
  }

  /** Reserves `bytes` bytes aligned to `align` (a power of two) and returns the address (below 2^32). */
  alloc(bytes: number, align = 64): number {
    // Plain arithmetic, not bit masks: addresses above 2 GiB do not fit a signed 32-bit integer.
    const ptr = Math.ceil(this.top / align) * align;
    const end = ptr + bytes;
    if (ptr < 0 || end > MAX_PAGES * PAGE) {
      throw new GemmaError("MODEL_BAD_CONFIG", `out of WebAssembly memory: ${end} bytes needed, 4 GiB is the wasm32 limit`);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) reserve(() => this.memory.grow(Math.ceil((end - have) / PAGE)), end);
    this.top = end;
    return ptr;
  }

  /**
   * Views over the whole memory, for kernels that take (heap, address) pairs. Growing a non-shared memory detaches
   * its old buffer, so the views are rebuilt whenever the buffer changed; callers fetch them per call, not once.
   */
  get heapU8(): Uint8Array {
    this.refresh();
    return this.viewU8;
  }

  get heapF32(): Float32Array {
    this.refresh();
    return this.viewF32;
  }

  /** A view of `length` bytes at `ptr`; valid until the next alloc. */
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** A view of `length` floats at `ptr` (4-byte aligned); valid until the next alloc. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  private viewU8 = new Uint8Array(0);
  private viewF32 = new Float32Array(0);

  private refresh(): void {
    const buf = this.memory.buffer;
    if (this.viewU8.buffer !== buf || this.viewU8.byteLength !== buf.byteLength) {
      this.viewU8 = new Uint8Array(buf);
      this.viewF32 = new Float32Array(buf, 0, buf.byteLength >>> 2);
    }
  }
}
