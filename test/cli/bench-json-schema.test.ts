import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

/** `gemma bench --json-schema FILE` on the random-weight tiny Gemma 3: the constrained-decode fields, never timings. */
const MODEL = "test/fixtures/tiny/gemma3.gguf";
const dir = mkdtempSync(join(tmpdir(), "gemma-bench-schema-"));
const SCHEMA = {
  type: "object",
  properties: { name: { type: "string", maxLength: 8 }, n: { type: "integer", minimum: 0, maximum: 99 } },
  required: ["name", "n"],
  additionalProperties: false,
};

test("gemma bench --json-schema --json reports a finite constrained decode speed and overhead", async () => {
  const schema = join(dir, "schema.json");
  writeFileSync(schema, JSON.stringify(SCHEMA));
  const r = await runCli(["bench", "-m", MODEL, "--pp", "8", "--tg", "24", "--reps", "2", "-t", "1", "--json-schema", schema, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  const speed = out.constrained_decode_tok_s;
  assert.ok(typeof speed === "number" && Number.isFinite(speed) && speed > 0, `constrained_decode_tok_s = ${String(speed)}`);
  const overhead = out.constraint_overhead;
  assert.ok(typeof overhead === "number" && Number.isFinite(overhead) && overhead > -1, `constraint_overhead = ${String(overhead)}`);
  // the overhead is defined from the two reported speeds
  assert.ok(Math.abs((out.decode_tok_s as number) / speed - 1 - overhead) < 1e-9);
});

test("gemma bench without --json-schema has no constrained fields; a schema file that is not JSON is a one-line error", async () => {
  const plain = await runCli(["bench", "-m", MODEL, "--pp", "8", "--tg", "4", "-t", "1", "--json"]);
  assert.equal(plain.code, 0, plain.stderr);
  const out = JSON.parse(plain.stdout) as Record<string, unknown>;
  assert.equal("constrained_decode_tok_s" in out, false);
  assert.equal("constraint_overhead" in out, false);

  const bad = join(dir, "bad.json");
  writeFileSync(bad, "{type: object}");
  const r = await runCli(["bench", "-m", MODEL, "--json-schema", bad, "--json"]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /bad\.json: not JSON/);
});
