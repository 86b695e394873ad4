#!/usr/bin/env node
// Reference ids from llama.cpp's SentencePiece tokenizer (node-llama-cpp, CPU prebuilt, vocab-only load of the real
// Gemma 3 GGUF): model.tokenize(s, true) (parse_special on, no BOS) for every corpus string, and
// model.tokenize(s, false) stored only where it differs (our parseSpecial: false on the GGUF path).
// llama.cpp runs in a child process (a malformed file aborts the process).
// Writes test/golden/tokenizer/ids-llamacpp.json.gz.
// Run: node scripts/ref/tokenizer-ids-llamacpp.mjs [model.gguf]   (default /root/models/gemma-3-270m-q4_k_m.gguf)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { compactIds, packageVersion, readCorpus, writeGolden } from "./tokenizer-golden-io.mjs";

const modelPath = process.argv.find((a, i) => i >= 2 && a !== "--child") ?? "/root/models/gemma-3-270m-q4_k_m.gguf";

if (process.argv.includes("--child")) {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, vocabOnly: true });
  const { strings } = readCorpus();
  const special = strings.map((s) => Array.from(model.tokenize(s, true)));
  const plain = strings.map((s) => Array.from(model.tokenize(s, false)));
  process.stdout.write(JSON.stringify({ release: llama.llamaCppRelease, special, plain }));
  await model.dispose();
  await llama.dispose();
} else {
  const corpus = readCorpus();
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", modelPath], {
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`llama.cpp child failed with status ${child.status}`);
  const { release, special, plain } = JSON.parse(child.stdout.toString("utf8"));
  console.error(`tokenized ${special.length} strings twice in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const hash = createHash("sha256");
  for await (const chunk of createReadStream(modelPath)) hash.update(chunk);
  const plainDiffers = {};
  plain.forEach((ids, i) => {
    if (JSON.stringify(ids) !== JSON.stringify(special[i])) plainDiffers[i] = compactIds(ids);
  });
  writeGolden("ids-llamacpp.json.gz", {
    reference: `node-llama-cpp@${packageVersion("node-llama-cpp")} (llama.cpp ${release.repo} ${release.release}), vocabOnly load`,
    model: { file: modelPath.split("/").pop(), sha256: hash.digest("hex") },
    call: "model.tokenize(s, true); plainDiffers: model.tokenize(s, false) where it differs",
    generator: "scripts/ref/tokenizer-ids-llamacpp.mjs",
    corpusSha256: corpus.corpusSha256,
    ids: special.map(compactIds),
    plainDiffers,
  });
}
