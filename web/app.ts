// The demo page: load a GGUF model by URL or from disk, then chat (or continue text) with streamed output. The
// engine runs in a Web Worker (createEngineWorker): this thread only renders, so the page stays responsive while
// the model downloads, loads and generates. Built by scripts/build-browser.mjs, which points this import at the
// library bundle (gemma.js).
import {
  canCacheModels,
  createEngineWorker,
  defaultThreads,
  forgetCachedModel,
  isGemmaError,
  type BrowserLoadProgress,
  type ChatTurnResult,
  type GenerateResult,
  type RemoteChat,
  type RemoteGeneration,
  type RemoteModel,
} from "../src/platform/browser/index.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const urlForm = $<HTMLFormElement>("url-form");
const urlInput = $<HTMLInputElement>("model-url");
const fileInput = $<HTMLInputElement>("model-file");
const threadsSelect = $<HTMLSelectElement>("threads");
const loadButton = $<HTMLButtonElement>("load");
const forgetButton = $<HTMLButtonElement>("forget");
const progressBar = $<HTMLProgressElement>("progress");
const statusLine = $<HTMLParagraphElement>("status");
const messages = $<HTMLDivElement>("messages");
const promptForm = $<HTMLFormElement>("prompt-form");
const modeSelect = $<HTMLSelectElement>("mode");
const promptInput = $<HTMLTextAreaElement>("prompt");
const maxTokensInput = $<HTMLInputElement>("max-tokens");
const sendButton = $<HTMLButtonElement>("send");
const stopButton = $<HTMLButtonElement>("stop");
const statsLine = $<HTMLParagraphElement>("stats");

type Running = RemoteGeneration<GenerateResult> | RemoteGeneration<ChatTurnResult>;

/** The engine worker; one model at a time is loaded in it. */
const engine = createEngineWorker();

/** What the page holds: the loaded model and its conversation (exposed as window.gemmaDemo for debugging). */
const state: { model?: RemoteModel; chat?: RemoteChat; running?: Running } = {};
(window as unknown as { gemmaDemo: typeof state }).gemmaDemo = state;

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

function describeEnvironment(): void {
  const isolated = globalThis.crossOriginIsolated;
  const max = isolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1;
  for (let n = 1; n <= max; n++) threadsSelect.add(new Option(String(n), String(n), false, n === defaultThreads()));
  threadsSelect.disabled = !isolated;
  $("env").textContent = isolated
    ? `Cross-origin isolated: up to ${max} threads (Web Workers over shared memory).`
    : "Not cross-origin isolated (no COOP/COEP headers): one thread.";
  if (!canCacheModels()) $("env").textContent += " No Cache API here: models are downloaded on every visit.";
}

/** Base models continue text; instruction-tuned ones chat (the page picks by the model, the user may switch). */
function showMode(): void {
  promptInput.placeholder = modeSelect.value === "chat" ? "Ask something…" : "Text to continue…";
}

function showStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", isError);
}

function showProgress(p: BrowserLoadProgress): void {
  progressBar.hidden = false;
  progressBar.value = p.totalBytes === 0 ? 1 : p.loadedBytes / p.totalBytes;
  const what = p.phase === "download" ? "Downloading" : p.fromCache ? "Loading from the browser cache" : "Loading weights";
  showStatus(`${what}: ${mb(p.loadedBytes)} / ${mb(p.totalBytes)} MB`);
}

async function load(source: string | File): Promise<void> {
  showStatus("Loading…");
  setBusy(true);
  const previous = state.model;
  delete state.model;
  if (previous) await previous.close();
  delete state.chat;
  messages.replaceChildren();
  statsLine.textContent = "";
  const started = performance.now();
  try {
    const model = await engine.load(source, { threads: Number(threadsSelect.value) || 1, contextSize: 2048, onProgress: showProgress });
    state.model = model;
    modeSelect.value = model.info.instructionTuned ? "chat" : "complete";
    showMode();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const name = typeof source === "string" ? source.split("/").pop() : source.name;
    showStatus(`Ready: ${name} (${mb(model.info.weightBytes)} MB of weights, ${model.threads} thread(s)) in ${seconds} s.`);
    promptInput.focus();
  } catch (e) {
    showStatus(`Could not load the model: ${isGemmaError(e) ? e.message : String(e)}`, true);
  } finally {
    progressBar.hidden = true;
    setBusy(false);
  }
}

function setBusy(busy: boolean): void {
  loadButton.disabled = fileInput.disabled = busy || state.running !== undefined;
  const ready = !busy && state.model !== undefined;
  promptInput.disabled = sendButton.disabled = !ready || state.running !== undefined;
  stopButton.disabled = state.running === undefined;
  $("chat").setAttribute("aria-disabled", String(!ready));
}

function addMessage(role: "user" | "model", text: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = `message ${role}`;
  div.textContent = text;
  messages.append(div);
  messages.scrollTop = messages.scrollHeight;
  return div;
}

async function send(text: string): Promise<void> {
  const model = state.model;
  if (!model || state.running) return;
  addMessage("user", text);
  const answer = addMessage("model", "");
  answer.classList.add("streaming");
  const maxTokens = Math.max(1, Math.min(4096, Math.floor(Number(maxTokensInput.value)) || 256));
  let stream: Running;
  if (modeSelect.value === "chat") {
    state.chat ??= model.chat();
    stream = state.chat.send(text, { maxTokens });
  } else {
    delete state.chat;
    answer.textContent = text;
    stream = model.generate(text, { maxTokens });
  }
  state.running = stream;
  setBusy(false);
  try {
    for await (const chunk of stream) {
      answer.textContent += chunk.text;
      messages.scrollTop = messages.scrollHeight;
    }
    const r = await stream.finished();
    const rate = r.decodeMs > 0 ? (r.tokens.length / (r.decodeMs / 1000)).toFixed(1) : "–";
    statsLine.textContent =
      `${r.tokens.length} tokens at ${rate} tokens/s · prompt ${r.promptTokens} tokens ` +
      `(${r.cachedTokens} cached) in ${r.prefillMs.toFixed(0)} ms · ${r.finishReason === "abort" ? "stopped" : r.finishReason}`;
  } catch (e) {
    showStatus(`Generation failed: ${isGemmaError(e) ? e.message : String(e)}`, true);
  } finally {
    answer.classList.remove("streaming");
    answer.classList.add("done");
    delete state.running;
    setBusy(false);
  }
}

urlForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void load(urlInput.value.trim());
});
fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  if (file) void load(file);
});
forgetButton.addEventListener("click", () => {
  void forgetCachedModel().then((removed) => showStatus(removed ? "Cached models removed." : "No cached model."));
});
promptForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = promptInput.value.trim();
  if (text === "") return;
  promptInput.value = "";
  void send(text);
});
promptInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    promptForm.requestSubmit();
  }
});
stopButton.addEventListener("click", () => state.running?.abort());
modeSelect.addEventListener("change", showMode);

describeEnvironment();
setBusy(false);
// `gemma web -m MODEL` names its model in /config.json; ?model=URL overrides it.
const fromQuery = new URLSearchParams(location.search).get("model");
if (fromQuery) urlInput.value = fromQuery;
else {
  void fetch("config.json")
    .then((r) => (r.ok ? r.json() : undefined))
    .then((config: { modelUrl?: string | null } | undefined) => {
      if (config?.modelUrl && urlInput.value === "") urlInput.value = new URL(config.modelUrl, location.href).href;
    })
    .catch(() => undefined);
}
