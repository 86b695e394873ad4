import { CHAT_CSS } from "./chat-css.js";
import { chatHtml } from "./chat-html.js";
import { CHAT_SCRIPT } from "./chat-script.js";
import { MARKDOWN_SCRIPT } from "./markdown-script.js";

/**
 * Scripts and styles only from this server, requests only to it, nothing else (no images, frames, forms or
 * plugins); Trusted Types with no policy make every HTML-parsing sink (innerHTML and the like) throw, so even a
 * bug in the page could not turn model output into markup.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

const COMMON_HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-cache" };

const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  "/page/chat.js": { type: "text/javascript; charset=utf-8", body: CHAT_SCRIPT },
  "/page/markdown.js": { type: "text/javascript; charset=utf-8", body: MARKDOWN_SCRIPT },
  "/page/chat.css": { type: "text/css; charset=utf-8", body: CHAT_CSS },
};

/** Whether a path is the chat page or one of its assets (all answered to GET). */
export function isPagePath(path: string): boolean {
  return path === "/" || Object.hasOwn(ASSETS, path);
}

/** The chat page ("/") or one of its assets; the page shows an API key field when the server wants one. */
export function pageResponse(path: string, apiKeyRequired: boolean): Response {
  if (path === "/") {
    return new Response(chatHtml(apiKeyRequired), {
      headers: { ...COMMON_HEADERS, "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP },
    });
  }
  const asset = ASSETS[path]!;
  return new Response(asset.body, { headers: { ...COMMON_HEADERS, "content-type": asset.type } });
}
