import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeGguf } from "../../formats/gguf/writer.js";
import { CONVERT_TYPES, isConvertType } from "../../model/convert/tensor-types.js";
import { planHfToGguf } from "../../model/convert/hf-to-gguf.js";
import { openHfFolderPath } from "../../platform/node/hf-folder.js";
import { createQuantizePool } from "../../platform/node/quantize-pool.js";
import { GemmaError } from "../../util/errors.js";
import { intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { formatBytes, progressRenderer } from "../progress.js";

const LABEL = "converting";

/**
 * `gemma convert IN OUT.gguf [--type T]`: a Hugging Face folder to a GGUF that llama.cpp runs as the same model.
 * The file is written beside OUT under a temporary name and renamed into place only when complete, so OUT is
 * never left partial (a failure or Ctrl-C removes the temporary file). stdout gets OUT's path. Quantized types are
 * encoded on -t threads (default: every core), byte for byte as on one.
 */
export const convertCommand: Command = {
  name: "convert",
  summary: "convert a Hugging Face model folder to a GGUF file (f16, bf16, q8_0, q4_0, q4_k_m)",
  usage: `gemma convert IN_FOLDER OUT.gguf [--type ${CONVERT_TYPES.join("|")}] [-t THREADS]   (default f16, every core)`,
  options: { type: { type: "string" }, threads: { type: "string", short: "t" } },
  positionals: true,
  async run(values, positionals, io) {
    if (positionals.length !== 2) throw new GemmaError("CLI_BAD_ARGS", "name the input folder and the output file: gemma convert IN OUT.gguf");
    const [input, output] = positionals as [string, string];
    const type = stringArg(values, "type") ?? "f16";
    if (!isConvertType(type)) throw new GemmaError("CLI_BAD_ARGS", `--type ${type} is not one of ${CONVERT_TYPES.join(", ")}`);

    const threads = intArg(values, "threads", 1, 1024);
    const folder = await openHfFolderPath(input);
    const pool = threads === 1 ? undefined : createQuantizePool(threads);
    const progress = progressRenderer(io.stderr);
    const temp = join(dirname(output), `.${basename(output)}.${process.pid}.partial`);
    try {
      const plan = await planHfToGguf(folder, {
        type,
        ...(pool && { quantizeRows: pool.quantizeRows }),
        onProgress: (p) => {
          if (io.signal.aborted) throw new GemmaError("IO_ERROR", `interrupted; ${output} was not written`);
          progress({ type: "advance", label: LABEL, done: p.doneBytes, total: p.totalBytes });
        },
      });
      progress({ type: "start", label: LABEL, total: plan.dataBytes });
      const fh = await open(temp, "wx").catch((e: NodeJS.ErrnoException) => {
        throw new GemmaError("IO_ERROR", `${temp}: cannot create (${e.code ?? String(e)})`, { cause: e });
      });
      let size = 0;
      try {
        await writeGguf(
          async (chunk) => {
            for (let done = 0; done < chunk.length; ) done += (await fh.write(chunk, done)).bytesWritten;
            size += chunk.length;
          },
          plan.metadata,
          plan.tensors,
        );
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, output).catch((e: NodeJS.ErrnoException) => {
        throw new GemmaError("IO_ERROR", `${output}: cannot move the finished file into place (${e.code ?? String(e)})`, { cause: e });
      });
      progress({ type: "finish", label: LABEL });
      const c = plan.config;
      io.stderr.write(`${output}: ${c.architecture}, ${c.nLayers} layers, ${plan.tensors.length} tensors, ${type}, ${formatBytes(size)}\n`);
      io.stdout.write(`${output}\n`);
      return 0;
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    } finally {
      await pool?.close();
      await folder.close();
    }
  },
};
