import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import { tokenizerFromGguf } from "../../src/tokenizer/index.js";

/**
 * The tiny Hugging Face fixtures of scripts/ref/model-tiny.py (config.json + F32 model.safetensors as
 * transformers reads them) loaded through the safetensors loader, against the logits transformers (fp32, eager)
 * computed from the same folders. The folders carry no tokenizer file, so the tokenizer comes from the GGUF twin.
 */
interface TinyGolden {
  fixture: { hf: string; gguf: string };
  ids: number[];
  transformers: { logits: number[][] };
}

const goldenDir = "test/golden/model";
const goldens = readdirSync(goldenDir)
  .filter((f) => f.startsWith("tiny-") && f.endsWith(".json"))
  .map((f) => ({ name: f.slice(5, -5), golden: JSON.parse(readFileSync(join(goldenDir, f), "utf8")) as TinyGolden }));

async function loadBoth(g: TinyGolden) {
  const file = await openGgufPath(g.fixture.gguf);
  const gguf = await loadGgufModel(file);
  await file.close();
  const folder = await openHfFolderPath(g.fixture.hf);
  const hf = await loadHfModel(folder, { tokenizer: tokenizerFromGguf(file.metadata) });
  await folder.close();
  return { gguf, hf };
}

for (const { name, golden } of goldens) {
  test(`tiny ${name} from safetensors: logits within 1e-4 x max|logit| of transformers fp32 at every position`, async () => {
    const { hf } = await loadBoth(golden);
    const ctx = new Context(hf, { contextSize: 64, batchSize: 4 });
    let diff = 0;
    let maxAbs = 0;
    ctx.evaluate(golden.ids, {
      logits: "all",
      onLogits: (t, l) => {
        const ref = golden.transformers.logits[t]!;
        assert.equal(l.length, ref.length);
        ref.forEach((v, i) => {
          diff = Math.max(diff, Math.abs(l[i]! - v));
          maxAbs = Math.max(maxAbs, Math.abs(v));
        });
      },
    });
    assert.ok(maxAbs > 0 && diff <= 1e-4 * maxAbs, `max |Δ| ${diff} vs bound ${1e-4 * maxAbs}`);
  });

  test(`tiny ${name}: config.json read with transformers' semantics equals the GGUF twin's metadata read as llama.cpp does`, async () => {
    const { gguf, hf } = await loadBoth(golden);
    assert.deepEqual({ ...hf.config, name: "" }, { ...gguf.config, name: "" });
    assert.equal(hf.info.format, "safetensors");
    assert.equal(hf.info.parameterCount, gguf.info.parameterCount);
  });
}
