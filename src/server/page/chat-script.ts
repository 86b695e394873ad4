/**
 * The chat page's behaviour, served as the ES module /page/chat.js: it keeps the conversation in memory, sends it
 * to /v1/chat/completions as a stream (fetch, server-sent events), shows the answer as it grows through the
 * markdown renderer, and stops a generation by aborting its fetch (the server then frees the slot).
 */
export const CHAT_SCRIPT = String.raw`
import { renderMarkdown } from "./markdown.js";

const byId = (id) => document.getElementById(id);
const log = byId("log");
const composer = byId("composer");
const prompt = byId("prompt");
const sendButton = byId("send");
const stopButton = byId("stop");
const apiKey = byId("api-key");

/** The conversation so far as the API's messages: user and assistant turns, alternating. */
let history = [];
/** The running generation's controller; null when idle. */
let running = null;

if (document.body.dataset.auth === "required") {
  byId("api-key-field").hidden = false;
  byId("settings").open = true;
}

function headers() {
  const h = { "content-type": "application/json" };
  if (apiKey.value !== "") h.authorization = "Bearer " + apiKey.value;
  return h;
}

/** A number input's value, or undefined when it is empty or not a number. */
function numberSetting(id) {
  const value = byId(id).valueAsNumber;
  return Number.isFinite(value) ? value : undefined;
}

function requestBody(turns) {
  const system = byId("system").value.trim();
  return {
    messages: system === "" ? [...turns] : [{ role: "system", content: system }, ...turns],
    stream: true,
    stream_options: { include_usage: true },
    temperature: numberSetting("temperature"),
    max_tokens: numberSetting("max-tokens"),
  };
}

/** The message of an OpenAI-style error body, or the status line when the body is something else. */
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === "string") return body.error.message;
  } catch {
    // not JSON: fall back to the status
  }
  return "HTTP " + response.status + " " + response.statusText;
}

/** The data of each server-sent event in a response body, in order. */
async function* events(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data !== "") yield data;
    }
  }
}

/** Adds a message to the log; returns its content element and a line for notes under it. */
function addMessage(role) {
  const item = document.createElement("article");
  item.className = "message " + role;
  const content = document.createElement("div");
  content.className = "content";
  const note = document.createElement("div");
  note.className = "note";
  item.append(content, note);
  log.append(item);
  return { item, content, note };
}

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

/** Renders an answer at most once per frame however fast its pieces come. */
function answerView(view) {
  let latest = "";
  let pending = false;
  const render = () => {
    pending = false;
    view.content.replaceChildren(renderMarkdown(latest));
    scrollToEnd();
  };
  return {
    update(text) {
      latest = text;
      if (!pending) {
        pending = true;
        requestAnimationFrame(render);
      }
    },
    flush: render,
  };
}

function setBusy(busy) {
  prompt.disabled = busy;
  sendButton.disabled = busy;
  stopButton.disabled = !busy;
  log.setAttribute("aria-busy", String(busy));
}

async function ask(text) {
  const userView = addMessage("user");
  userView.content.textContent = text;
  // "New chat" replaces the history: a generation it stopped still ends in the conversation it belonged to
  const turns = history;
  turns.push({ role: "user", content: text });
  const view = addMessage("assistant");
  const answer = answerView(view);
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  scrollToEnd();
  let content = "";
  let finish = null;
  let usage = null;
  let failure = null;
  let complete = false;
  const started = performance.now();
  try {
    const response = await fetch("v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(requestBody(turns)), signal: controller.signal });
    if (!response.ok) throw new Error(await errorMessage(response));
    for await (const data of events(response.body)) {
      if (data === "[DONE]") {
        complete = true;
        break;
      }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) continue;
      if (choice.delta && typeof choice.delta.content === "string" && choice.delta.content !== "") {
        content += choice.delta.content;
        answer.update(content);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (!complete) throw new Error("the answer stream ended before [DONE]");
  } catch (e) {
    if (!controller.signal.aborted) failure = e instanceof Error ? e.message : String(e);
  }
  answer.flush();
  running = null;
  setBusy(false);
  if (content !== "") {
    turns.push({ role: "assistant", content });
  } else {
    // no answer to keep: drop the question too, so that user and assistant turns still alternate
    turns.pop();
    userView.item.classList.add("unanswered");
  }
  const notes = [];
  if (failure !== null) {
    view.item.classList.add("error");
    notes.push(failure);
  } else if (controller.signal.aborted) {
    notes.push("stopped");
  } else if (finish === "length") {
    notes.push("stopped at the token limit");
  }
  if (usage) {
    const seconds = (performance.now() - started) / 1000;
    notes.push(usage.completion_tokens + " tokens in " + seconds.toFixed(1) + " s");
  }
  view.note.textContent = notes.join(" · ");
  view.item.dataset.state = failure !== null ? "error" : controller.signal.aborted ? "stopped" : "done";
  prompt.focus();
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = prompt.value.trim();
  if (text === "" || running) return;
  prompt.value = "";
  void ask(text);
});

prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

stopButton.addEventListener("click", () => {
  if (running) running.abort();
});

byId("new-chat").addEventListener("click", () => {
  if (running) running.abort();
  history = [];
  log.replaceChildren();
  prompt.focus();
});

/** Shows the served model's name (or why it cannot be read). */
async function showModel() {
  const label = byId("model");
  try {
    const response = await fetch("v1/models", { headers: headers() });
    if (!response.ok) {
      label.textContent = response.status === 401 ? "enter the API key in the settings" : await errorMessage(response);
      return;
    }
    const list = await response.json();
    label.textContent = list.data && list.data[0] ? list.data[0].id : "";
  } catch {
    label.textContent = "server unreachable";
  }
}

apiKey.addEventListener("change", () => void showModel());
void showModel();
prompt.focus();
`;
