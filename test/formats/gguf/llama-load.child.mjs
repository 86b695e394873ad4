// Child process for llama-cpp.test.ts: tries to load each GGUF path given on the command line with
// llama.cpp (node-llama-cpp) and evaluate one token; prints one JSON line of results. A separate
// process because llama.cpp aborts the whole process on some malformed files.
import { LlamaLogLevel, getLlama } from "node-llama-cpp";

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
const results = [];
for (const modelPath of process.argv.slice(2)) {
  try {
    const model = await llama.loadModel({ modelPath, gpuLayers: 0, vocabOnly: false });
    const context = await model.createContext({ contextSize: 32, batchSize: 8, threads: 1 });
    const [r] = await context.getSequence().controlledEvaluate([[2, { generateNext: { logits: true } }]]);
    const logits = [...r.next.logits.values()];
    results.push({ modelPath, loaded: true, nLogits: logits.length, finite: logits.every(Number.isFinite) });
    await context.dispose();
    await model.dispose();
  } catch (e) {
    results.push({ modelPath, loaded: false, error: String(e?.message ?? e) });
  }
}
await llama.dispose();
console.log(JSON.stringify(results));
