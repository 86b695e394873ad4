import assert from "node:assert/strict";
import { test } from "node:test";
import { StopStringMatcher } from "../../src/engine/stop-strings.js";

/** Feeds `text` in the given chunk lengths; returns the emitted pieces and whether it stopped. */
function feed(stops: string[], text: string, cuts: number[]): { pieces: string[]; stopped: boolean } {
  const m = new StopStringMatcher(stops);
  const pieces: string[] = [];
  let pos = 0;
  for (const n of [...cuts, text.length]) {
    pieces.push(m.push(text.slice(pos, pos + n)));
    pos += n;
    if (pos >= text.length) break;
  }
  if (!m.stopped) pieces.push(m.flush());
  return { pieces, stopped: m.stopped };
}

/** What a stop-string search over the whole text gives: the text before the earliest occurrence of any stop. */
function expected(stops: string[], text: string): { text: string; stopped: boolean } {
  const hits = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  return hits.length === 0 ? { text, stopped: false } : { text: text.slice(0, Math.min(...hits)), stopped: true };
}

test("every way of cutting the text into tokens gives the same output as searching the whole text", () => {
  const cases: [string[], string][] = [
    [["\n\n"], "one\ntwo\n\nthree"],
    [["END", "ENDING"], "the ENDING of it"],
    [["abcd"], "abcabcabcd tail"],
    [["xyz"], "no stop here, but xy at the end xy"],
    [["🤖"], "emoji 🤖 stop"],
    [["User:", "\n###"], "answer\n##  more\n### User:"],
  ];
  let seed = 12345;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n) + 1;
  for (const [stops, text] of cases) {
    const want = expected(stops, text);
    for (let trial = 0; trial < 200; trial++) {
      const cuts = Array.from({ length: text.length }, () => rand(4));
      const got = feed(stops, text, cuts);
      assert.equal(got.pieces.join(""), want.text, `${JSON.stringify(stops)} in ${JSON.stringify(text)}, cuts ${cuts.slice(0, 8)}`);
      assert.equal(got.stopped, want.stopped);
    }
  }
});

test("text that may start a stop string is held back, and released once it cannot", () => {
  const m = new StopStringMatcher(["</answer>"]);
  assert.equal(m.push("42 </ans"), "42 ");
  assert.equal(m.push("wer-ish"), "</answer-ish");
  assert.equal(m.push("</"), "");
  assert.equal(m.flush(), "</");
  assert.equal(m.stopped, false);
});

test("after a stop nothing more comes out", () => {
  const m = new StopStringMatcher(["."]);
  assert.equal(m.push("a.b"), "a");
  assert.equal(m.push("c"), "");
  assert.ok(m.stopped);
  assert.throws(() => new StopStringMatcher([""]), /non-empty/);
});
