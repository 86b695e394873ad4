// The reader's short-string UTF-8 decoder against the platform's strict TextDecoder.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeShortUtf8 } from "../../../src/formats/gguf/utf8.js";
import { rng } from "./fuzz-inputs.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function reference(b: Uint8Array): string | undefined {
  try {
    return strict.decode(b);
  } catch {
    return undefined;
  }
}

function same(b: Uint8Array): void {
  assert.equal(decodeShortUtf8(b, 0, b.length), reference(b), Buffer.from(b).toString("hex"));
}

test("every 1- and 2-byte sequence, and 3- and 4-byte sequences around every boundary", () => {
  for (let a = 0; a < 256; a++) {
    same(Uint8Array.of(a));
    for (let b = 0; b < 256; b++) same(Uint8Array.of(a, b));
  }
  const edges = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
  for (let a = 0xe0; a < 256; a++) for (let b = 0; b < 256; b++) for (const c of edges) same(Uint8Array.of(a, b, c));
  for (let a = 0xf0; a < 256; a++) for (const b of edges) for (const c of edges) for (const d of edges) same(Uint8Array.of(a, b, c, d));
});

test("random byte runs and random valid text, with an offset window", () => {
  const r = rng(12345);
  const enc = new TextEncoder();
  for (let i = 0; i < 5_000; i++) {
    let b: Uint8Array;
    if (i % 2 === 0) {
      b = Uint8Array.from({ length: Math.floor(r() * 130) }, () => Math.floor(r() * 256));
    } else {
      const cps = Array.from({ length: Math.floor(r() * 40) }, () => {
        const cp = Math.floor(r() * 0x110000);
        return cp >= 0xd800 && cp <= 0xdfff ? 0xfeff : cp;
      });
      b = enc.encode(String.fromCodePoint(...cps)).subarray(0, 128);
    }
    same(b);
    const padded = new Uint8Array(b.length + 6);
    padded.set(b, 3);
    assert.equal(decodeShortUtf8(padded, 3, 3 + b.length), reference(b));
  }
});
