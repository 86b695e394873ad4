/**
 * The chat page's document. It holds no inline script or style (the page's Content-Security-Policy allows
 * neither) and nothing from the request: only whether the server wants an API key, which shows the key field.
 */
export function chatHtml(apiKeyRequired: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gemma-ts chat</title>
<link rel="stylesheet" href="page/chat.css">
<script type="module" src="page/chat.js"></script>
</head>
<body data-auth="${apiKeyRequired ? "required" : "none"}">
<header>
  <h1>gemma-ts</h1>
  <span id="model" class="model"></span>
  <button id="new-chat" type="button">New chat</button>
</header>
<details id="settings">
  <summary>Settings</summary>
  <div class="fields">
    <label>Temperature <input id="temperature" type="number" min="0" max="2" step="0.1" value="0.7"></label>
    <label>Max tokens <input id="max-tokens" type="number" min="1" step="1" value="512"></label>
    <label class="wide">System prompt <textarea id="system" rows="2"></textarea></label>
    <label id="api-key-field" class="wide" hidden>API key <input id="api-key" type="password" autocomplete="off"></label>
  </div>
</details>
<main id="log" aria-live="polite"></main>
<form id="composer">
  <textarea id="prompt" rows="2" placeholder="Message (Enter sends, Shift+Enter starts a new line)" aria-label="Message"></textarea>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" disabled>Stop</button>
</form>
</body>
</html>
`;
}
