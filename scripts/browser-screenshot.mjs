// Takes docs/browser-demo.png: `gemma web` serves the demo and the model (-m MODEL, default the catalog's
// default), headless Chromium loads the model in the page and, as a person would, asks one question in the chat
// (an instruction-tuned model) or has a text continued (a base model, such as the default; the page picks the mode).
// Needs the build (npm run build) and Chromium: node scripts/browser-screenshot.mjs [-m MODEL] [--out FILE]
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    model: { type: "string", short: "m" },
    out: { type: "string", default: join(root, "docs", "browser-demo.png") },
    question: { type: "string", default: "What is the capital of France?" },
    text: { type: "string", default: "The old lighthouse keeper climbed the stairs one last time." },
    "max-tokens": { type: "string", default: "60" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});

const server = spawn(process.execPath, [join(root, "bin", "gemma.js"), "web", "--port", "0", ...(values.model ? ["-m", values.model] : [])], {
  stdio: ["ignore", "inherit", "pipe"],
});
const url = await new Promise((resolve, reject) => {
  let stderr = "";
  server.stderr.setEncoding("utf8").on("data", (d) => {
    stderr += d;
    const m = /serving the demo on (\S+)/.exec(stderr);
    if (m) resolve(m[1]);
  });
  server.on("close", (code) => reject(new Error(`gemma web exited with ${code}:\n${stderr}`)));
});

const browser = await chromium.launch({ executablePath: values.chromium, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 960, height: 720 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("model-url").value !== "");
  await page.click("#load");
  await page.waitForFunction(() => /^(Ready|Could not)/.test(document.getElementById("status").textContent), undefined, { timeout: 120_000 });
  const mode = await page.inputValue("#mode");
  await page.fill("#max-tokens", values["max-tokens"]);
  await page.fill("#prompt", mode === "chat" ? values.question : values.text);
  await page.click("#send");
  await page.waitForSelector(".message.model.done", { timeout: 120_000 });
  await page.screenshot({ path: values.out });
  console.log(`${values.out}: ${await page.textContent("#status")} | ${await page.textContent("#stats")}`);
} finally {
  await browser.close();
  server.kill("SIGINT");
}
