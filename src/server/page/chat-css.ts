/** The chat page's style sheet, served as /page/chat.css. */
export const CHAT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #fafafa;
  --fg: #1d1d1f;
  --muted: #6b6b70;
  --line: #d8d8dc;
  --user: #e7eefc;
  --code: #f0f0f3;
  --accent: #1a5fd0;
  --error: #b3261e;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #161618; --fg: #e8e8ea; --muted: #9a9aa0; --line: #36363a; --user: #23304a; --code: #222226; --accent: #7aa7ff; --error: #ff8a80; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; background: var(--bg); color: var(--fg); max-width: 52rem; margin: 0 auto; }
header { display: flex; align-items: baseline; gap: .75rem; padding: .75rem 1rem .25rem; }
header h1 { font-size: 1.1rem; margin: 0; }
.model { color: var(--muted); font-size: .9rem; flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
details { padding: 0 1rem; color: var(--muted); }
summary { cursor: pointer; padding: .25rem 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem 1rem; padding: .5rem 0 .75rem; }
.fields label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; }
.fields .wide { grid-column: 1 / -1; }
[hidden] { display: none !important; }
input, textarea, button { font: inherit; color: inherit; background: transparent; border: 1px solid var(--line); border-radius: 6px; padding: .4rem .55rem; }
textarea { resize: vertical; }
button { cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
#log { flex: 1; overflow-y: auto; padding: .5rem 1rem; display: flex; flex-direction: column; gap: .75rem; }
.message { max-width: 100%; }
.message.user .content { background: var(--user); border-radius: 10px; padding: .5rem .75rem; white-space: pre-wrap; margin-left: 15%; }
.message.unanswered { opacity: .6; }
.message.error .note { color: var(--error); }
.content { overflow-wrap: anywhere; }
.content > :first-child { margin-top: 0; }
.content > :last-child { margin-bottom: 0; }
.content h1, .content h2, .content h3 { font-size: 1.1rem; }
.content h4, .content h5, .content h6 { font-size: 1rem; }
.content pre { background: var(--code); border-radius: 6px; padding: .6rem .75rem; overflow-x: auto; }
.content code { font: .9em/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; }
.content :not(pre) > code { background: var(--code); border-radius: 4px; padding: .05rem .3rem; }
.content blockquote { margin: 0; padding-left: .75rem; border-left: 3px solid var(--line); color: var(--muted); }
.content a { color: var(--accent); }
.note { color: var(--muted); font-size: .8rem; margin-top: .2rem; }
.note:empty { display: none; }
#composer { display: flex; gap: .5rem; padding: .75rem 1rem 1rem; border-top: 1px solid var(--line); }
#composer textarea { flex: 1; }
`;
