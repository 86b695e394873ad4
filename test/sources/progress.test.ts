import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { progressRenderer } from "../../src/cli/progress.js";

function render(tty: boolean, events: Parameters<ReturnType<typeof progressRenderer>>[0][]): string {
  const stream = new PassThrough();
  let out = "";
  stream.on("data", (d: Buffer) => (out += d));
  let clock = 0;
  const r = progressRenderer(stream, { tty, now: () => (clock += 1000) });
  for (const e of events) r(e);
  return out;
}

const download = (label: string, total: number, steps: number) => [
  { type: "start" as const, label, total },
  ...Array.from({ length: steps }, (_, i) => ({ type: "advance" as const, label, done: ((i + 1) * total) / steps, total })),
  { type: "finish" as const, label },
];

test("without a terminal: a start line, one line per quarter, the end; notes as lines", () => {
  const out = render(false, [...download("w.whl", 2_000_000, 20), { type: "note", message: "skipping a layer" }]);
  assert.equal(
    out,
    [
      "w.whl: started (2.0 MB)",
      "w.whl: 25% (500.0 kB of 2.0 MB)",
      "w.whl: 50% (1.0 MB of 2.0 MB)",
      "w.whl: 75% (1.5 MB of 2.0 MB)",
      "w.whl: done, 2.0 MB in 21.0 s",
      "skipping a layer",
      "",
    ].join("\n"),
  );
});

test("on a terminal: one redrawn line, cleared before the end line", () => {
  const out = render(true, download("m.gguf", 1000, 4));
  assert.ok(!out.includes("started"));
  const draws = out.split("\r\x1b[K").filter((s) => s !== "");
  assert.equal(draws.length, 5);
  assert.match(draws[0]!, /^m\.gguf {2}\[#{6} {18}\] +25% {2}250 B \/ 1\.0 kB$/);
  // 750 bytes moved since the first report (250), over 4 s of the fake clock.
  assert.match(draws[3]!, /^m\.gguf {2}\[#{24}\] {2}100% {2}1\.0 kB \/ 1\.0 kB {2}187\.5 B\/s$/);
  assert.match(draws[4]!, /^m\.gguf: done, 1\.0 kB in \d+\.\d s\n$/);
});
