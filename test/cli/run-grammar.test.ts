import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

/** `gemma run --grammar FILE` on the random-weight tiny Gemma 3: whatever it samples, the output is in the grammar's language. */
const MODEL = "test/fixtures/tiny/gemma3.gguf";
const dir = mkdtempSync(join(tmpdir(), "gemma-grammar-"));

function grammarFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test("gemma run --grammar: root ::= \"yes\" | \"no\" gives exactly yes or no and stops on its own", async () => {
  const g = grammarFile("yes-no.gbnf", 'root ::= "yes" | "no"\n');
  for (const seed of ["1", "2", "3"]) {
    const r = await runCli(["run", "-m", MODEL, "-t", "1", "-p", "hello", "-n", "10", "--seed", seed, "--temp", "1", "--grammar", g]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^(yes|no)\n$/, `seed ${seed}`);
    assert.match(r.stderr, /finish: stop/);
  }
});

test("gemma run --grammar: a list grammar's output matches the equivalent regular expression", async () => {
  const g = grammarFile("list.gbnf", 'root ::= "[" item ("," item)* "]"\nitem ::= [0-9] | [a-c]+\n');
  let stopped = 0;
  for (const seed of ["4", "5", "6", "7"]) {
    const r = await runCli(["run", "-m", MODEL, "-t", "1", "-p", "hello", "-n", "60", "--seed", seed, "--temp", "1", "--grammar", g]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.slice(0, -1);
    // a generation cut off by -n is a prefix of a sentence; one that stopped on its own is a whole sentence
    if (/finish: stop/.test(r.stderr)) {
      stopped++;
      assert.match(text, /^\[([0-9]|[a-c]+)(,([0-9]|[a-c]+))*\]$/, `seed ${seed}`);
    } else assert.match(text, /^(\[(([0-9]|[a-c]+)(,([0-9]|[a-c]+))*,?)?)?$/, `seed ${seed}`);
  }
  assert.ok(stopped > 0, "no generation stopped on its own");
});

test("gemma run --grammar: a bad grammar, a missing file, or both constraints are one-line errors", async () => {
  const cases: [string[], number, RegExp][] = [
    [["--grammar", grammarFile("bad.gbnf", 'root ::= "yes\n')], 1, /bad\.gbnf: grammar: unterminated string/],
    [["--grammar", grammarFile("undefined.gbnf", "root ::= missing-rule\n")], 1, /undefined\.gbnf: grammar: rule "missing-rule"/],
    [["--grammar", join(dir, "absent.gbnf")], 1, /absent\.gbnf/],
    [["--grammar", grammarFile("ok.gbnf", 'root ::= "a"\n'), "--json-schema", grammarFile("s.json", "{}")], 2, /--grammar/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(["run", "-m", MODEL, "-t", "1", "-p", "hello", "-n", "4", ...args]);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  }
});
