import { readFile, writeFile } from "node:fs/promises";
import { createInterface, type Interface } from "node:readline";
import { GemmaModel } from "../../api/model.js";
import type { ChatSession } from "../../engine/chat-session.js";
import type { ChatTemplateChoice } from "../../engine/chat-template.js";
import type { GenerationOptions } from "../../engine/generation-options.js";
import type { ChatMessage } from "../../engine/prompt.js";
import { GemmaError, isGemmaError } from "../../util/errors.js";
import { intArg, stringArg } from "../args.js";
import type { Command, CommandIo } from "../command.js";
import { GENERATION_OPTIONS, generationFromArgs, statsLine, streamTo, templateArg } from "../generation-flags.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, kvType, loadModelFromArgs, swaFull } from "../model-options.js";
import { SAMPLING_OPTIONS, SAMPLING_USAGE } from "../sampling-options.js";
import { defaultContextSize } from "../../model/config.js";

const HELP = `commands:
  /reset          forget the conversation (the system prompt stays)
  /system TEXT    set the system prompt (/system alone removes it)
  /save FILE      write the conversation and settings as JSON
  /load FILE      read a conversation and settings written by /save
  /help           this list
  /exit           quit (also Ctrl-D, or Ctrl-C twice at the prompt)
A line ending in \\ continues on the next line. Ctrl-C stops an answer.
`;

/** What /save writes: the conversation and the settings that shape the next answers. */
interface SavedChat {
  readonly format: "gemma-chat";
  readonly version: 1;
  readonly messages: readonly ChatMessage[];
  readonly template: ChatTemplateChoice;
  readonly generation: GenerationOptions;
}

/**
 * `gemma chat`: an interactive conversation on stdin/stdout that keeps the KV cache between turns. Answers stream to
 * stdout; prompts (on a terminal), notices and statistics go to stderr. Works on a terminal and with piped input.
 */
export const chatCommand: Command = {
  name: "chat",
  summary: "chat with a model in the terminal (a line ending in \\ continues; /help lists the commands)",
  usage: `gemma chat [-m MODEL] [--system TEXT] [--template builtin|model] [-n N] [--stop STR]... [-c N] [--kv-type f32|f16|q8_0] [--context-shift] ${SAMPLING_USAGE}`,
  options: { ...MODEL_OPTIONS, ...CONTEXT_OPTIONS, ...SAMPLING_OPTIONS, ...GENERATION_OPTIONS },
  async run(values, _positionals, io) {
    const generation = generationFromArgs(values, 1024);
    const template = templateArg(values);
    const system = stringArg(values, "system");
    const loaded = await loadModelFromArgs(values, io);
    const ctx = contextSize(values, defaultContextSize(loaded.config));
    const model = new GemmaModel(loaded, { contextSize: ctx, swaFull: swaFull(values), kvType: kvType(values), threads: intArg(values, "threads", 1, 1024) });
    const repl = new ChatRepl(model, io, model.chat({ system, template }), template, generation);
    return repl.run();
  },
};

class ChatRepl {
  private readonly tty: boolean;
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private answering: AbortController | undefined;
  private interrupts = 0;
  private pending: string[] = [];
  private exitCode: number | undefined;

  constructor(
    private readonly model: GemmaModel,
    private readonly io: CommandIo,
    private session: ChatSession,
    private template: ChatTemplateChoice,
    private generation: GenerationOptions,
  ) {
    const input = io.stdin as NodeJS.ReadStream;
    this.tty = input.isTTY === true && (io.stdout as NodeJS.WriteStream).isTTY === true;
    this.rl = createInterface({ input, output: this.tty ? io.stdout : undefined, terminal: this.tty, crlfDelay: Infinity });
    this.rl.on("line", (line) => this.deliver(line));
    this.rl.on("close", () => {
      this.closed = true;
      this.deliver(undefined);
    });
  }

  async run(): Promise<number> {
    const onInterrupt = () => this.interrupt();
    this.rl.on("SIGINT", onInterrupt);
    process.on("SIGINT", onInterrupt);
    const context = this.model.sequence.ctx.contextSize;
    this.note(`chatting with ${this.model.info.source} (${this.session.format.kind} chat format, context ${context}); /help for commands`);
    try {
      for (;;) {
        const text = await this.readMessage();
        if (text === undefined) break;
        if (text.trim() === "") continue;
        if (text.startsWith("/")) await this.command(text);
        else await this.answer(text);
        if (this.exitCode !== undefined) break;
      }
    } finally {
      process.off("SIGINT", onInterrupt);
      this.rl.close();
    }
    return this.exitCode ?? 0;
  }

  private deliver(line: string | undefined): void {
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(line);
    } else if (line !== undefined) this.queue.push(line);
  }

  private nextLine(): Promise<string | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closed || this.exitCode !== undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** One message: lines joined while each ends in a backslash. */
  private async readMessage(): Promise<string | undefined> {
    this.pending = [];
    for (;;) {
      this.showPrompt(this.pending.length === 0 ? "> " : "... ");
      const line = await this.nextLine();
      if (line === undefined) return this.pending.length > 0 ? this.pending.join("\n") : undefined;
      this.interrupts = 0;
      if (line.endsWith("\\")) {
        this.pending.push(line.slice(0, -1));
        continue;
      }
      this.pending.push(line);
      return this.pending.join("\n");
    }
  }

  private showPrompt(prompt: string): void {
    if (!this.tty) return;
    this.rl.setPrompt(prompt);
    this.rl.prompt();
  }

  /** Ctrl-C: stops an answer; at the prompt, drops the message being typed, and a second one in a row quits. */
  private interrupt(): void {
    if (this.answering) {
      this.answering.abort();
      return;
    }
    this.interrupts++;
    if (this.interrupts >= 2) {
      this.exitCode = 130;
      this.pending = [];
      this.deliver(undefined);
      return;
    }
    this.pending = [];
    this.note(`${this.tty ? "\n" : ""}(Ctrl-C again to quit, or /exit)`);
    this.showPrompt("> ");
  }

  private async answer(text: string): Promise<void> {
    const controller = new AbortController();
    this.answering = controller;
    try {
      const r = await streamTo(this.io, this.session.send(text, { ...this.generation, signal: controller.signal }));
      this.io.stdout.write("\n");
      if (r.finishReason === "abort") this.note("[answer stopped]");
      if (r.droppedMessages > 0) this.note(`[context full: the ${r.droppedMessages} oldest messages are no longer seen by the model]`);
      this.io.stderr.write(statsLine(r));
    } catch (e) {
      if (!isGemmaError(e)) throw e;
      this.io.stdout.write("\n");
      this.note(`error: ${e.message} [${e.code}]`);
    } finally {
      this.answering = undefined;
    }
  }

  private async command(line: string): Promise<void> {
    const space = line.indexOf(" ");
    const name = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? "" : line.slice(space + 1).trim();
    try {
      switch (name) {
        case "/exit":
        case "/quit":
          this.exitCode = 0;
          return;
        case "/help":
          this.io.stderr.write(HELP);
          return;
        case "/reset":
          this.session.reset();
          this.note("conversation cleared");
          return;
        case "/system":
          this.session.setSystem(arg === "" ? undefined : arg);
          this.note(arg === "" ? "system prompt removed" : "system prompt set");
          return;
        case "/save":
          await this.save(requireFile(name, arg));
          return;
        case "/load":
          await this.load(requireFile(name, arg));
          return;
        default:
          this.note(`unknown command ${name} (/help lists them)`);
      }
    } catch (e) {
      if (!isGemmaError(e)) throw e;
      this.note(`error: ${e.message} [${e.code}]`);
    }
  }

  private async save(path: string): Promise<void> {
    const saved: SavedChat = {
      format: "gemma-chat",
      version: 1,
      messages: this.session.messages,
      template: this.template,
      generation: this.generation,
    };
    // JSON has no -Infinity (a banned token's logit bias): write it as the string "-Infinity"
    const json = JSON.stringify(saved, (_, v: unknown) => (v === -Infinity ? "-Infinity" : v), 2);
    try {
      await writeFile(path, json + "\n");
    } catch (e) {
      throw new GemmaError("IO_ERROR", `${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
    this.note(`saved ${saved.messages.length} messages to ${path}`);
  }

  private async load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new GemmaError("FILE_NOT_FOUND", `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
    }
    const saved = parseSaved(path, text);
    this.session = this.model.chat({ template: saved.template, messages: saved.messages });
    this.template = saved.template;
    this.generation = saved.generation;
    this.note(`loaded ${saved.messages.length} messages from ${path}`);
  }

  private note(message: string): void {
    this.io.stderr.write(message + "\n");
  }
}

function requireFile(command: string, arg: string): string {
  if (arg === "") throw new GemmaError("CLI_BAD_ARGS", `${command} needs a file name`);
  return arg;
}

const ROLES = new Set(["system", "user", "assistant", "model"]);
const TEMPLATES = new Set(["auto", "builtin", "model"]);

/** Reads a /save file, checking its shape. */
function parseSaved(path: string, text: string): SavedChat {
  const bad = (what: string) => new GemmaError("CLI_BAD_INPUT", `${path}: ${what}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const o = v as Partial<SavedChat> | null;
  if (typeof o !== "object" || o === null || o.format !== "gemma-chat" || o.version !== 1) throw bad('not a gemma chat file (format "gemma-chat", version 1)');
  if (!Array.isArray(o.messages)) throw bad("messages must be an array");
  o.messages.forEach((m: unknown, i) => {
    const msg = m as Partial<ChatMessage> | null;
    if (typeof msg !== "object" || msg === null || !ROLES.has(String(msg.role)) || typeof msg.content !== "string") {
      throw bad(`messages[${i}] must be {role: system|user|assistant|model, content: string}`);
    }
  });
  if (!TEMPLATES.has(String(o.template))) throw bad("template must be auto, builtin or model");
  if (typeof o.generation !== "object" || o.generation === null) throw bad("generation must be an object of settings");
  const bias = o.generation.logitBias;
  const logitBias = bias && Object.fromEntries(Object.entries(bias).map(([id, b]) => [id, (b as unknown) === "-Infinity" ? -Infinity : b]));
  return { ...(o as SavedChat), generation: { ...o.generation, logitBias } };
}
