import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadTiny, TINY_GEMMA3 } from "./tiny.js";

/**
 * `gemma chat` as a person uses it: the built executable (bin/gemma.js; the test runner builds dist/ first) in a child
 * process, driven through piped stdin and through a pseudo-terminal (util-linux `script`).
 */
const BAN_STOPS = ["--logit-bias", "1=-inf", "--logit-bias", "297=-inf"];
const GREEDY = ["-m", TINY_GEMMA3, "--temp", "0", ...BAN_STOPS];

const started: ChildProcessWithoutNullStreams[] = [];
// a failed test must not leave its child running
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill();
});

/** A running child with its output so far, and a way to wait until the output matches. */
class Session {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  private closed = false;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    started.push(child);
    child.stdout.setEncoding("utf8").on("data", (d: string) => this.grow("stdout", d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => this.grow("stderr", d));
    this.exited = new Promise((resolve) =>
      child.on("close", (code) => {
        this.closed = true;
        this.wake();
        resolve(code);
      }),
    );
  }

  private grow(which: "stdout" | "stderr", d: string): void {
    this[which] += d;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `check` holds for the output; fails if the process ends first. */
  async until(check: (s: Session) => boolean): Promise<void> {
    while (!check(this)) {
      if (this.closed) assert.fail(`the process ended first; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

function gemmaChat(args: string[]): Session {
  return new Session(spawn(process.execPath, ["bin/gemma.js", "chat", ...args], { env: { ...process.env, GEMMA_TEST: "1" } }));
}

/** A guard against a hung child, far above the few seconds these take (not a timing assertion). */
const LIMIT = { timeout: 120_000 };

test("piped stdin: answers on stdout, multi-line input, /save then /reset and /load restore the conversation", LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-chat-"));
  const file = join(dir, "chat.json");
  const s = gemmaChat([...GREEDY, "-n", "6", "--system", "Be brief."]);
  s.child.stdin.end(["Hello \\", "there", `/save ${file}`, "/reset", "/bogus", `/load ${file}`, "And then?", "/exit", "never sent"].join("\n") + "\n");
  assert.equal(await s.exited, 0, s.stderr);
  assert.match(s.stderr, /saved 3 messages/);
  assert.match(s.stderr, /conversation cleared/);
  assert.match(s.stderr, /unknown command \/bogus/);
  assert.match(s.stderr, /loaded 3 messages/);
  const saved = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(saved.format, "gemma-chat");
  assert.deepEqual(saved.messages.slice(0, 2), [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hello \nthere" },
  ]);
  assert.equal(saved.generation.logitBias["1"], "-Infinity");

  // the same conversation through the library gives the same greedy answers: the CLI's first answer, and after
  // /load its second one (so the loaded file restored messages and settings)
  const model = await loadTiny();
  const o = { maxTokens: 6, temperature: 0, logitBias: { 1: -Infinity, 297: -Infinity } };
  const chat = model.chat({ system: "Be brief." });
  const first = await chat.send("Hello \nthere", o).finished();
  const second = await chat.send("And then?", o).finished();
  assert.equal(saved.messages[2].content, first.text);
  assert.equal(s.stdout, `${first.text}\n${second.text}\n`);
});

test("piped stdin: SIGINT stops the answer, the program goes on; the partial answer stays in the conversation", LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-chat-"));
  const file = join(dir, "partial.json");
  // a context far longer than the answer can get before the interrupt arrives
  const s = gemmaChat(["-m", TINY_GEMMA3, "--seed", "3", "-c", "4096", "-n", "4000", ...BAN_STOPS]);
  s.child.stdin.write("Tell me a long story\n");
  await s.until((x) => x.stdout.length > 0);
  s.child.kill("SIGINT");
  await s.until((x) => /answer stopped/.test(x.stderr));
  s.child.stdin.end(`/save ${file}\n/exit\n`);
  assert.equal(await s.exited, 0, s.stderr);
  assert.match(s.stderr, /finish: abort/);
  const saved = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(saved.messages.length, 2);
  assert.equal(saved.messages[1].role, "assistant");
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

const PTY = { ...LIMIT, skip: !hasScript && "no util-linux script" };

test("pseudo-terminal: prompt, streamed answer, Ctrl-C stops an answer, Ctrl-C twice at the prompt exits", PTY, async () => {
  const command = ["node", "bin/gemma.js", "chat", "-m", TINY_GEMMA3, "--seed", "1", "-c", "4096", "-n", "4000", ...BAN_STOPS].join(" ");
  const s = new Session(spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, TERM: "dumb" } }));
  await s.until((x) => x.stdout.includes("> "));
  s.child.stdin.write("Tell me a long story\r");
  await s.until((x) => /Tell me a long story\r*\n[^]+/.test(x.stdout));
  s.child.stdin.write("\x03");
  await s.until((x) => /answer stopped/.test(x.stdout));
  await s.until((x) => /finish: abort[^]*> /.test(x.stdout));
  s.child.stdin.write("\x03");
  await s.until((x) => /Ctrl-C again to quit/.test(x.stdout));
  s.child.stdin.write("\x03");
  assert.equal(await s.exited, 130, s.stdout);
});

test("gemma run: stdout is only the generated text, the library's for the same settings; new flags work", LIMIT, async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-run-"));
  const schema = join(dir, "schema.json");
  writeFileSync(schema, JSON.stringify({ enum: ["yes", "no"] }));
  const run = (args: string[]) => {
    const s = new Session(spawn(process.execPath, ["bin/gemma.js", "run", "-m", TINY_GEMMA3, ...args]));
    s.child.stdin.end();
    return s.exited.then((code) => ({ code, stdout: s.stdout, stderr: s.stderr }));
  };
  const model = await loadTiny();
  const flags = ["-p", "Hi there", "-n", "12", "--seed", "4", "--repeat-penalty", "1.3", "--presence-penalty", "0.5", "--typical-p", "0.9"];
  const o = { maxTokens: 12, seed: 4, repeatPenalty: 1.3, presencePenalty: 0.5, typicalP: 0.9 };

  // --system switches a base model to the chat format
  const chat = await run([...flags, "--system", "Be brief.", ...BAN_STOPS]);
  assert.equal(chat.code, 0, chat.stderr);
  const prompt = model.formatChat([{ role: "system", content: "Be brief." }, { role: "user", content: "Hi there" }]);
  const want = await model.generate(prompt, { ...o, logitBias: { 1: -Infinity, 297: -Infinity } }).finished();
  assert.equal(chat.stdout, want.text + "\n");
  assert.match(chat.stderr, /12 generated/);

  // a stop string cuts the same text where it first occurs
  const plain = await model.generate("Hi there", o).finished();
  const stop = plain.text.slice(3, 5);
  const stopped = await run([...flags, "--stop", stop]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(stopped.stdout, plain.text.slice(0, plain.text.indexOf(stop)) + "\n");
  assert.match(stopped.stderr, /finish: stop/);

  const json = await run(["-p", "Answer:", "-n", "40", "--seed", "2", "--json-schema", schema]);
  assert.equal(json.code, 0, json.stderr);
  assert.ok(["yes", "no"].includes(JSON.parse(json.stdout)), json.stdout);
});
