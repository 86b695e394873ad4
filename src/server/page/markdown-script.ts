/**
 * The chat page's markdown renderer, served as the ES module /page/markdown.js. It builds DOM nodes only with
 * createElement on tag names of its own and text nodes (append of strings, textContent): nothing the model
 * writes is ever parsed as HTML, so `<script>` or `<img onerror>` in an answer shows as text. Links keep only
 * absolute http(s) addresses; any other link is shown as its source text.
 *
 * Supported (CommonMark's forms, simplified): ATX headings, paragraphs (single newlines kept as line breaks),
 * fenced code blocks (three or more backticks or tildes; one left open while an answer streams runs to the
 * end), bullet and ordered lists (nested by indentation), block quotes, thematic breaks, `code spans`,
 * **strong**, *emphasis*, [links](https://...), bare http(s) addresses and backslash escapes. Raw HTML is text.
 *
 * It is JavaScript in a string (not TypeScript) because the browser runs it as it is: the server sends this
 * text, so `gemma serve` needs no bundler and works from dist/ as from the sources.
 */
export const MARKDOWN_SCRIPT = String.raw`
const ESCAPABLE = "\\\x60*_{}[]()#+-.!>~|<";
const FENCE = /^ {0,3}(\x60{3,}|~{3,})\s*([^\s\x60]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])( +|$)(.*)$/;
const LINK = /^\[([^\[\]]*)\]\(\s*<?([^\s()<>]+)>?(?:\s+"[^"]*")?\s*\)/;
const BARE_URL = /^https?:\/\/[^\s<>]*[^\s<>.,:;"')\]}!?*_]/;

/** Renders markdown source into a fragment of inert DOM nodes. */
export function renderMarkdown(source) {
  const out = document.createDocumentFragment();
  blocks(source.replace(/\r\n?/g, "\n").split("\n"), out);
  return out;
}

/** An absolute http(s) address, normalised by the URL parser; null for any other scheme or a relative one. */
export function safeHref(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function el(tag, parent) {
  const node = document.createElement(tag);
  parent.append(node);
  return node;
}

const blank = (line) => line.trim() === "";
const indentOf = (line) => line.length - line.trimStart().length;

function listItem(line) {
  const m = ITEM.exec(line);
  if (!m) return null;
  const ordered = /\d/.test(m[2]);
  // the item's text starts after the marker's spaces, or after one when there are five or more (CommonMark 5.2)
  const gap = m[3].length > 4 ? 1 : Math.max(m[3].length, 1);
  return { indent: m[1].length, ordered, start: ordered ? parseInt(m[2], 10) : 1, text: m[4], content: m[1].length + m[2].length + gap };
}

/** Whether a line opens a block that ends the paragraph before it. */
function opensBlock(line) {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || listItem(line) !== null;
}

function blocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body = [];
      for (i++; i < lines.length; i++) {
        const t = lines[i].trim();
        if (t.startsWith(marker) && t.replaceAll(marker[0], "") === "") break;
        body.push(lines[i]);
      }
      i++;
      const code = el("code", el("pre", parent));
      if (/^[\w+#-]+$/.test(fence[2])) code.dataset.lang = fence[2];
      code.textContent = body.join("\n");
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      inline(heading[2] ?? "", el("h" + heading[1].length, parent));
      i++;
      continue;
    }
    if (RULE.test(line)) {
      el("hr", parent);
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && !blank(lines[i]) && (QUOTE.test(lines[i]) || !opensBlock(lines[i]))) inner.push(lines[i++].replace(QUOTE, ""));
      blocks(inner, el("blockquote", parent));
      continue;
    }
    const first = listItem(line);
    if (first) {
      i = list(lines, i, first, parent);
      continue;
    }
    const para = [];
    while (i < lines.length && !blank(lines[i]) && (para.length === 0 || !opensBlock(lines[i]))) para.push(lines[i++].trim());
    inline(para.join("\n"), el("p", parent));
  }
}

/** One list from lines[i] on; returns the index after it. Items of the other kind or a lesser indent end it. */
function list(lines, i, first, parent) {
  const node = el(first.ordered ? "ol" : "ul", parent);
  if (first.ordered && first.start !== 1) node.start = first.start;
  for (;;) {
    const item = listItem(lines[i]);
    const content = [item.text];
    for (i++; i < lines.length; i++) {
      const line = lines[i];
      if (blank(line)) {
        if (i + 1 < lines.length && indentOf(lines[i + 1]) >= item.content && !blank(lines[i + 1])) content.push("");
        else break;
      } else if (indentOf(line) >= item.content) content.push(line.slice(item.content));
      else if (opensBlock(line)) break;
      else content.push(line.trim());
    }
    const li = el("li", node);
    blocks(content, li);
    // a tight item holds its text directly rather than in a paragraph
    if (li.firstChild && li.firstChild.nodeName === "P" && li.querySelectorAll(":scope > p").length === 1) li.firstChild.replaceWith(...li.firstChild.childNodes);
    let next = i;
    while (next < lines.length && blank(lines[next])) next++;
    const after = next < lines.length ? listItem(lines[next]) : null;
    if (!after || after.ordered !== first.ordered || after.indent !== first.indent) return i;
    i = next;
  }
}

/** Appends text, turning each newline into a line break. */
function text(value, parent) {
  value.split("\n").forEach((part, k) => {
    if (k > 0) el("br", parent);
    if (part !== "") parent.append(part);
  });
}

function isWordChar(c) {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** Whether the character at j follows an odd run of backslashes (so it is literal). */
function escaped(s, j) {
  let k = j;
  while (k > 0 && s[k - 1] === "\\") k--;
  return (j - k) % 2 === 1;
}

/**
 * Where the emphasis opened by marker closes (searching from 'from'), or -1: at a run of the marker's character
 * as long as the marker (a double run inside single emphasis is a nested strong span's), not after a space or
 * a backslash, and for "_" not inside a word.
 */
function closingMarker(s, marker, from) {
  const c = marker[0];
  for (let j = s.indexOf(marker, from); j >= 0; ) {
    let run = 1;
    while (s[j + run] === c) run++;
    const fits = marker.length === 1 ? run === 1 : run >= 2;
    if (fits && !/\s/.test(s[j - 1]) && !escaped(s, j) && !(c === "_" && isWordChar(s[j + marker.length]))) return j;
    j = s.indexOf(marker, j + run);
  }
  return -1;
}

function inline(s, parent, inLink = false) {
  let plain = "";
  const flush = () => {
    text(plain, parent);
    plain = "";
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length && ESCAPABLE.includes(s[i + 1])) {
      plain += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "\x60") {
      let run = 1;
      while (s[i + run] === "\x60") run++;
      const ticks = "\x60".repeat(run);
      const end = s.indexOf(ticks, i + run);
      if (end >= 0) {
        flush();
        let code = s.slice(i + run, end).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
        el("code", parent).textContent = code;
        i = end + run;
        continue;
      }
      plain += ticks;
      i += run;
      continue;
    }
    if ((c === "*" || c === "_") && !(c === "_" && isWordChar(s[i - 1]))) {
      const marker = s[i + 1] === c ? c + c : c;
      const open = i + marker.length;
      const end = open < s.length && !/\s/.test(s[open]) ? closingMarker(s, marker, open + 1) : -1;
      if (end >= 0) {
        flush();
        inline(s.slice(open, end), el(marker.length === 2 ? "strong" : "em", parent), inLink);
        i = end + marker.length;
        continue;
      }
    }
    if (c === "[" && !inLink) {
      const m = LINK.exec(s.slice(i));
      if (m) {
        const href = safeHref(m[2]);
        if (href !== null) {
          flush();
          const a = el("a", parent);
          a.href = href;
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          inline(m[1], a, true);
        } else {
          plain += m[0];
        }
        i += m[0].length;
        continue;
      }
    }
    if (c === "h" && !inLink && !isWordChar(s[i - 1])) {
      const m = BARE_URL.exec(s.slice(i));
      const href = m ? safeHref(m[0]) : null;
      if (m && href !== null) {
        flush();
        const a = el("a", parent);
        a.href = href;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        a.textContent = m[0];
        i += m[0].length;
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
}
`;
