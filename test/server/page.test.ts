import assert from "node:assert/strict";
import { basename } from "node:path";
import { after, before, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { defaultModelPath } from "../helpers/model.js";
import { rng } from "../helpers/rng.js";
import { startServe, type ServeProcess } from "./gemma-serve.js";

/*
 * The chat page of a running `gemma serve` (the built CLI on the default model, -c 512) driven in Debian's
 * headless Chromium: what the browser runs, blocks and shows is the judge. The base 270M model rambles at
 * temperature 0, so its answers run to the token limit the page's settings set.
 */

let server: ServeProcess;
let browser: Browser;
/** The id the server gives the model: its file name without .gguf. */
let modelId: string;

before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const model = await defaultModelPath();
  modelId = basename(model, ".gguf");
  server = await startServe(["-m", model, "-c", "512", "-t", "1"]);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

interface OpenedPage {
  readonly page: Page;
  /** Every URL the page requested. */
  readonly requests: string[];
  /** Uncaught exceptions in the page. */
  readonly errors: string[];
}

/** A new page (in its own browser context) on the server's chat page, once its script has run. */
async function openPage(url: string, opts: { bypassCSP?: boolean } = {}): Promise<OpenedPage> {
  const context = await browser.newContext(opts);
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url + "/");
  // the page has run its module once it shows the model's name (or why it cannot)
  await page.waitForFunction(() => (document.getElementById("model")?.textContent ?? "") !== "");
  return { page, requests, errors };
}

async function settings(page: Page, s: { temperature?: number; maxTokens?: number; system?: string }): Promise<void> {
  if (!(await page.locator("#settings").evaluate((d) => (d as HTMLDetailsElement).open))) await page.click("#settings summary");
  if (s.temperature !== undefined) await page.fill("#temperature", String(s.temperature));
  if (s.maxTokens !== undefined) await page.fill("#max-tokens", String(s.maxTokens));
  if (s.system !== undefined) await page.fill("#system", s.system);
}

async function send(page: Page, text: string): Promise<void> {
  await page.fill("#prompt", text);
  await page.press("#prompt", "Enter");
}

/** Waits until the last answer ends in `state` (done, stopped or error) and returns its shown text. */
async function answerEnds(page: Page, state: string): Promise<string> {
  const answer = page.locator(".message.assistant").last();
  await answer.and(page.locator("[data-state]")).waitFor({ timeout: 90_000 });
  assert.equal(await answer.getAttribute("data-state"), state, `answer note: ${await answer.locator(".note").textContent()}`);
  return (await answer.locator(".content").textContent()) ?? "";
}

/** The content of a chat completion stream (the deltas in order) as the server sent it. */
function streamedContent(sse: string): string {
  return sse
    .split("\n\n")
    .filter((e) => e.startsWith("data: {"))
    .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? "")
    .join("");
}

async function generatedTokens(): Promise<number> {
  const metrics = await (await fetch(server.url + "/metrics")).text();
  return Number(/^gemma_generated_tokens_total (\d+)$/m.exec(metrics)![1]);
}

test("the page and its assets come from the server alone, under a strict Content-Security-Policy", async () => {
  const res = await fetch(server.url + "/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const csp = new Map(
    (res.headers.get("content-security-policy") ?? "").split(";").map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values] as const;
    }),
  );
  assert.deepEqual(csp.get("default-src"), ["'none'"]);
  assert.deepEqual(csp.get("script-src"), ["'self'"]);
  assert.deepEqual(csp.get("connect-src"), ["'self'"]);
  assert.deepEqual(csp.get("require-trusted-types-for"), ["'script'"]);
  const html = await res.text();
  // no inline code for the policy to allow: every script is an external file, no style element or attribute
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1]!, /\bsrc="[^"/:][^":]*"/);
    assert.equal(m[2], "");
  }
  assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/i);

  const { page, requests, errors } = await openPage(server.url);
  assert.deepEqual(errors, []);
  assert.ok(requests.length >= 4, requests.join("\n"));
  for (const url of requests) assert.ok(url.startsWith(server.url + "/"), `${url} is not on the server`);
  assert.equal(await page.textContent("#model"), modelId);
  // Chromium enforces the policy: HTML-parsing sinks throw, inline scripts do not run
  const sink = await page.evaluate(() => {
    try {
      document.createElement("div").innerHTML = "<b>x</b>";
      return "allowed";
    } catch (e) {
      return (e as Error).name;
    }
  });
  assert.equal(sink, "TypeError");
});

test("a message gets a streamed answer; the conversation and the settings go with the next message, until New chat", async () => {
  const { page, errors } = await openPage(server.url);
  await settings(page, { temperature: 0, maxTokens: 24, system: "You are terse." });
  // every length the answer showed before it was done: a streamed answer shows several
  await page.evaluate(() => {
    const shown: number[] = [];
    (window as unknown as { shown: number[] }).shown = shown;
    const log = document.getElementById("log")!;
    new MutationObserver(() => {
      const answer = log.querySelector(".message.assistant:last-of-type");
      if (answer && !answer.hasAttribute("data-state")) shown.push(answer.querySelector(".content")!.textContent!.length);
    }).observe(log, { subtree: true, childList: true, characterData: true });
  });
  const firstResponse = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await send(page, "Write a short story about a cat.");
  const first = await firstResponse;
  const body = first.request().postDataJSON() as Record<string, unknown>;
  assert.deepEqual(body.messages, [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Write a short story about a cat." },
  ]);
  assert.equal(body.temperature, 0);
  assert.equal(body.max_tokens, 24);
  assert.equal(body.stream, true);
  const shownText = await answerEnds(page, "done");
  const shown = await page.evaluate(() => (window as unknown as { shown: number[] }).shown);
  assert.ok(new Set(shown.filter((n) => n > 0)).size >= 2, `partial answers shown: ${JSON.stringify(shown)}`);

  // what the page shows is the whole streamed answer, and the same answer as a non-streamed request
  const content = streamedContent(await first.text());
  const rendered = await page.evaluate(async (md) => {
    const url = "/page/markdown.js";
    const { renderMarkdown } = (await import(url)) as { renderMarkdown(s: string): DocumentFragment };
    return renderMarkdown(md).textContent;
  }, content);
  assert.equal(shownText, rendered);
  const direct = await fetch(server.url + "/v1/chat/completions", { method: "POST", body: JSON.stringify({ messages: body.messages, temperature: 0, max_tokens: 24 }) });
  assert.equal(((await direct.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content, content);

  const secondRequest = page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions"));
  await settings(page, { maxTokens: 4 });
  await send(page, "And a dog?");
  assert.deepEqual((await secondRequest).postDataJSON().messages, [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Write a short story about a cat." },
    { role: "assistant", content },
    { role: "user", content: "And a dog?" },
  ]);
  await answerEnds(page, "done");
  assert.equal(await page.locator(".message").count(), 4);

  // "New chat" forgets the conversation: the next request holds only the system prompt and the new message
  await page.click("#new-chat");
  assert.equal(await page.locator(".message").count(), 0);
  const fresh = page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions"));
  await send(page, "Hello.");
  assert.deepEqual((await fresh).postDataJSON().messages, [
    { role: "system", content: "You are terse." },
    { role: "user", content: "Hello." },
  ]);
  await answerEnds(page, "done");
  assert.deepEqual(errors, []);
});

test("Stop ends a generation mid-stream: the answer stops growing, the server stops generating, the input is usable", async () => {
  const { page, errors } = await openPage(server.url);
  await settings(page, { temperature: 0, maxTokens: 400 });
  const before = await generatedTokens();
  await send(page, "Count from 1 to 100.");
  assert.ok(await page.isDisabled("#prompt"));
  // wait for visible text (an answer may open with whitespace, which markdown renders as nothing)
  await page.waitForFunction(() => (document.querySelector(".message.assistant .content")?.textContent ?? "").trim().length > 0);
  await page.click("#stop");
  // (the shown text may be empty even so: a partial answer "1." renders as an empty list item)
  const stopped = await answerEnds(page, "stopped");
  assert.ok(await page.isEnabled("#prompt"));
  assert.ok(await page.isDisabled("#stop"));
  assert.equal(await page.textContent(".message.assistant .note"), "stopped");

  // a later answer completes after it; the stopped one has not grown meanwhile, and it was kept in the conversation
  await settings(page, { maxTokens: 4 });
  const next = page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions"));
  await send(page, "Thanks.");
  const { messages } = (await next).postDataJSON() as { messages: { role: string; content: string }[] };
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "user"]);
  assert.ok(messages[1]!.content.length > 0, "the stopped answer's text goes with the conversation");
  await answerEnds(page, "done");
  assert.equal(await page.locator(".message.assistant .content").first().textContent(), stopped);
  // the server generated far fewer than the 400 tokens asked for (4 of them are the later answer's)
  const generated = (await generatedTokens()) - before;
  assert.ok(generated - 4 < 400, `${generated} tokens generated`);
  assert.deepEqual(errors, []);
});

/** Markup that would run script if it were ever parsed as HTML. */
const HOSTILE = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>[x](javascript:window.pwned=3)";

test("an answer holding <script> and <img onerror> is shown as text; nothing runs", async () => {
  const { page, errors } = await openPage(server.url);
  await settings(page, { temperature: 0, maxTokens: 80 });
  // The real model answers under a JSON schema whose only valid document is the hostile string, so its answer
  // is exactly that markup (as a JSON string): the page's request gains the response_format, nothing else changes.
  await page.route("**/v1/chat/completions", (route) => {
    const body = route.request().postDataJSON() as Record<string, unknown>;
    const response_format = { type: "json_schema", json_schema: { name: "echo", schema: { const: HOSTILE } } };
    return route.continue({ postData: JSON.stringify({ ...body, response_format }) });
  });
  const response = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await send(page, "Say something.");
  const shown = await answerEnds(page, "done");
  assert.equal(JSON.parse(streamedContent(await (await response).text())), HOSTILE);
  assert.equal(JSON.parse(shown), HOSTILE);
  const dom = await page.evaluate(() => ({
    pwned: (window as unknown as { pwned?: number }).pwned,
    active: document.querySelectorAll("#log script, #log img, #log iframe, #log a, #log [onerror]").length,
    tags: Array.from(document.querySelectorAll(".message.assistant .content *"), (e) => e.nodeName),
  }));
  assert.deepEqual(dom, { pwned: undefined, active: 0, tags: ["P"] });
  assert.deepEqual(errors, []);
});

/**
 * Renders each case with the page's own module in the page and outlines the result: an element as
 * [name, ...children] (a link's name carries its href and rel), a text node as its text. The outliner is a
 * string so that it reaches the browser as written.
 */
const OUTLINE_IN_PAGE = `async (cases) => {
  const { renderMarkdown } = await import("/page/markdown.js");
  const outline = (n) => n.nodeType === Node.TEXT_NODE ? n.data
    : [n.nodeName === "A" ? "a " + n.getAttribute("href") + " " + n.getAttribute("rel") : n.nodeName.toLowerCase(), ...[...n.childNodes].map(outline)];
  const out = [];
  for (const md of cases) {
    const holder = document.createElement("div");
    holder.append(renderMarkdown(md));
    document.body.append(holder);
    out.push([...holder.childNodes].map(outline));
  }
  // a failed image load or a link's script would have run by now
  await new Promise((r) => setTimeout(r, 200));
  return { out, pwned: window.pwned ?? null, active: document.querySelectorAll("body script:not([src]), body img, body iframe, body svg, body [onerror], body [onload]").length };
}`;

type Outline = string | [string, ...Outline[]];

/** Markdown and the DOM CommonMark (with GitHub's bare-URL links) describes for it, written from its spec. */
const MARKDOWN_CASES: ReadonlyArray<readonly [string, Outline[]]> = [
  ["# Title\n\nSome **bold**, *italic* and `code`.", [["h1", "Title"], ["p", "Some ", ["strong", "bold"], ", ", ["em", "italic"], " and ", ["code", "code"], "."]]],
  ["- one\n- two\n  - nested\n\n3. third\n4. fourth", [["ul", ["li", "one"], ["li", "two", ["ul", ["li", "nested"]]]], ["ol", ["li", "third"], ["li", "fourth"]]]],
  ["```ts\nconst a = 1 < 2;\n```\nafter", [["pre", ["code", "const a = 1 < 2;"]], ["p", "after"]]],
  ["line one\nline two", [["p", "line one", ["br"], "line two"]]],
  ["> quoted *text*\n\n***", [["blockquote", ["p", "quoted ", ["em", "text"]]], ["hr"]]],
  ["[site](https://example.com/a?b=1) or http://example.org.", [["p", ["a https://example.com/a?b=1 noopener noreferrer", "site"], " or ", ["a http://example.org/ noopener noreferrer", "http://example.org"], "."]]],
  ["snake_case_name, 2*3 and \\*escaped\\*", [["p", "snake_case_name, 2*3 and *escaped*"]]],
  ["### Unfinished\n```\nstill streaming <b>", [["h3", "Unfinished"], ["pre", ["code", "still streaming <b>"]]]],
  ["*a **b** c* and ~~~\n~~~\n```\n~~~", [["p", ["em", "a ", ["strong", "b"], " c"], " and ~~~"], ["pre", ["code", "```"]]]],
];

/** Hostile text and what must be shown for it: the markup as text, links only to http(s). */
const HOSTILE_CASES: ReadonlyArray<readonly [string, Outline[]]> = [
  ["<script>window.pwned=1</script>", [["p", "<script>window.pwned=1</script>"]]],
  ["<img src=x onerror=window.pwned=2>", [["p", "<img src=x onerror=window.pwned=2>"]]],
  ["[x](javascript:window.pwned=3) [y](JaVaScRiPt:window.pwned=4) [z](//evil.example/)", [["p", "[x](javascript:window.pwned=3) [y](JaVaScRiPt:window.pwned=4) [z](//evil.example/)"]]],
  ["[x](data:text/html,<script>window.pwned=5</script>)", [["p", "[x](data:text/html,<script>window.pwned=5</script>)"]]],
  ['<a href="javascript:window.pwned=6">x</a>', [["p", '<a href="javascript:window.pwned=6">x</a>']]],
  ["**<iframe src=javascript:window.pwned=7>**", [["p", ["strong", "<iframe src=javascript:window.pwned=7>"]]]],
  ["```html\n<script>window.pwned=8</script>\n```", [["pre", ["code", "<script>window.pwned=8</script>"]]]],
  ["`<svg onload=window.pwned=9>`", [["p", ["code", "<svg onload=window.pwned=9>"]]]],
  ["[<img src=x onerror=window.pwned=10>](https://example.com)", [["p", ["a https://example.com/ noopener noreferrer", "<img src=x onerror=window.pwned=10>"]]]],
  ['https://example.com/"><script>window.pwned=11</script>', [["p", ["a https://example.com/ noopener noreferrer", "https://example.com/"], '"><script>window.pwned=11</script>']]],
  ["# <img src=x onerror=window.pwned=12>\n- <script>window.pwned=13</script>", [["h1", "<img src=x onerror=window.pwned=12>"], ["ul", ["li", "<script>window.pwned=13</script>"]]]],
];

test("the markdown renderer in Chromium: CommonMark's structure, hostile markup as inert text (even with the policy off)", async () => {
  // with the Content-Security-Policy bypassed, the renderer alone must keep the page safe
  const { page } = await openPage(server.url, { bypassCSP: true });
  const cases = [...MARKDOWN_CASES, ...HOSTILE_CASES];
  const result = (await page.evaluate(`(${OUTLINE_IN_PAGE})(${JSON.stringify(cases.map((c) => c[0]))})`)) as { out: Outline[][]; pwned: unknown; active: number };
  cases.forEach(([md, expected], i) => assert.deepEqual(result.out[i], expected, `markdown ${JSON.stringify(md)}`));
  assert.equal(result.pwned, null);
  assert.equal(result.active, 0);
});

test("with --api-key the page asks for the key: without it the answer is the server's 401 message, with it an answer", async () => {
  const keyed = await startServe(["-m", await defaultModelPath(), "-c", "512", "-t", "1", "--api-key", "page-secret"]);
  try {
    const { page, errors } = await openPage(keyed.url);
    assert.ok(await page.isVisible("#api-key"));
    assert.match((await page.textContent("#model")) ?? "", /API key/);
    await settings(page, { temperature: 0, maxTokens: 4 });
    await send(page, "Hello.");
    await answerEnds(page, "error");
    assert.match((await page.textContent(".message.assistant .note")) ?? "", /missing API key/);
    await page.fill("#api-key", "page-secret");
    await page.dispatchEvent("#api-key", "change");
    await page.waitForFunction((id) => document.getElementById("model")?.textContent === id, modelId);
    await send(page, "Hello.");
    assert.ok((await answerEnds(page, "done")).length > 0);
    assert.deepEqual(errors, []);
  } finally {
    await keyed.stop();
  }
});

/** Renders each case in the page and lists whatever is not inert: a throw, a foreign element or attribute, a non-http(s) link. */
const CHECK_IN_PAGE = `async (cases) => {
  const { renderMarkdown } = await import("/page/markdown.js");
  const tags = new Set(["P", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "PRE", "CODE", "STRONG", "EM", "A", "BR", "BLOCKQUOTE", "HR"]);
  const attributes = { A: ["href", "rel", "target"], CODE: ["data-lang"], OL: ["start"] };
  const problems = [];
  for (const md of cases) {
    const holder = document.createElement("div");
    try {
      holder.append(renderMarkdown(md));
    } catch (e) {
      problems.push([md, "throws " + e.message]);
      continue;
    }
    for (const e of holder.querySelectorAll("*")) {
      if (!tags.has(e.nodeName)) problems.push([md, e.nodeName]);
      for (const a of e.attributes) if (!(attributes[e.nodeName] ?? []).includes(a.name)) problems.push([md, e.nodeName + " " + a.name]);
      if (e.nodeName === "A" && !/^https?:\\/\\//.test(e.getAttribute("href"))) problems.push([md, "href " + e.getAttribute("href")]);
    }
  }
  return problems;
}`;

/** Pieces of markdown syntax, markup and link targets that random answers are made of. */
const PIECES = ["*", "**", "_", "__", "`", "```", "~~~", "[", "](", ")", "(", "#", "# ", "- ", "* ", "1. ", "> ", "\\", "---", "\n", "\n\n", "  ", "    ", " ", "a", "b_c", "<script>", "<img src=x onerror=window.pwned=1>", "javascript:", "https://example.com/", "http://", "data:", "&lt;", "[x](", "[x](javascript:window.pwned=2)", "[y](mailto:a@b)", "](data:text/html,x)"];

test("the markdown renderer on random syntax soup: it never throws and only ever makes its own elements and http(s) links", async () => {
  const { page } = await openPage(server.url);
  const random = rng(7);
  const cases = Array.from({ length: 400 }, () => Array.from({ length: 1 + Math.floor(random() * 40) }, () => PIECES[Math.floor(random() * PIECES.length)]).join(""));
  assert.deepEqual(await page.evaluate(`(${CHECK_IN_PAGE})(${JSON.stringify(cases)})`), []);
});
