import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import type { RowQuantizer } from "../../model/convert/quantize-rows.js";
import { rowBytes } from "../../quant/types.js";
import { GemmaError, type ErrorCode } from "../../util/errors.js";
import { startModuleWorker } from "./module-worker.js";

export interface QuantizeRequest {
  readonly id: number;
  readonly type: number;
  readonly rows: Float32Array;
  readonly cols: number;
}

export type QuantizeReply =
  | { readonly id: number; readonly bytes: Uint8Array }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: ErrorCode } };

export interface QuantizePool {
  /** Splits the rows into one contiguous run per thread; the bytes are those of quantizeRowsNow on the whole. */
  readonly quantizeRows: RowQuantizer;
  close(): Promise<void>;
}

/**
 * `threads` worker threads (default: every core) that quantize the rows of `gemma convert` (q8_0, q4_0, q4_k_m:
 * the search for K-quant scales is what takes the time). Each call's rows are cut into one run per thread, each
 * run encoded by quantizeRow row by row as on one thread, so the output is byte for byte the same.
 */
export function createQuantizePool(threads = availableParallelism()): QuantizePool {
  const workers = Array.from({ length: Math.max(1, Math.floor(threads)) }, () => startModuleWorker(import.meta.url, "quantize-worker"));
  const pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }>();
  let nextId = 0;
  let failure: unknown;
  const failAll = (e: unknown) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (const w of workers) {
    w.on("message", (reply: QuantizeReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if ("bytes" in reply) p.resolve(reply.bytes);
      else p.reject(new GemmaError(reply.error.code ?? "IO_ERROR", reply.error.message));
    });
    w.on("error", (e) => failAll(new GemmaError("IO_ERROR", `a quantization thread failed: ${e.message}`, { cause: e })));
  }

  const send = (w: Worker, type: number, rows: Float32Array, cols: number) =>
    new Promise<Uint8Array>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const req: QuantizeRequest = { id, type, rows, cols };
      w.postMessage(req, [rows.buffer as ArrayBuffer]);
    });

  return {
    async quantizeRows(type, rows, cols) {
      const n = rows.length / cols;
      // checked here, before any thread has work that nobody would wait for
      const out = new Uint8Array(n * rowBytes(type, cols));
      const per = Math.ceil(n / workers.length);
      const parts: Promise<Uint8Array>[] = [];
      for (let i = 0, r0 = 0; r0 < n; i++, r0 += per) {
        // a copy per thread: its buffer is transferred away
        parts.push(send(workers[i]!, type, rows.slice(r0 * cols, Math.min(n, r0 + per) * cols), cols));
      }
      const encoded = await Promise.all(parts);
      let at = 0;
      for (const bytes of encoded) {
        out.set(bytes, at);
        at += bytes.length;
      }
      return out;
    },
    async close() {
      failAll(new GemmaError("IO_ERROR", "the quantization threads were closed"));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
