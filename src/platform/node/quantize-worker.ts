import { parentPort } from "node:worker_threads";
import { quantizeRowsNow } from "../../model/convert/quantize-rows.js";
import { isGemmaError } from "../../util/errors.js";
import type { QuantizeReply, QuantizeRequest } from "./quantize-pool.js";

/** A thread of quantize-pool.ts: encodes the rows it is sent and sends the bytes back (buffers transferred). */
const port = parentPort;
if (port === null) throw new Error("quantize-worker runs as a worker thread");
port.on("message", (req: QuantizeRequest) => {
  let reply: QuantizeReply;
  try {
    const bytes = quantizeRowsNow(req.type, req.rows, req.cols);
    reply = { id: req.id, bytes };
    port.postMessage(reply, [bytes.buffer as ArrayBuffer]);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    reply = { id: req.id, error: isGemmaError(e) ? { code: e.code, message } : { message } };
    port.postMessage(reply);
  }
});
