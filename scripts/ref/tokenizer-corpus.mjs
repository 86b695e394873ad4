#!/usr/bin/env node
// Builds the tokenizer test corpus: test/golden/tokenizer/corpus.json.gz.
// Deterministic (seeded PRNG, built-in word lists, no network). Categories, >= 650 strings each:
// languages/scripts, code, whitespace runs, emoji/ZWJ, combining marks, digits/numbers,
// special-token strings, random valid Unicode; plus a few 100 KB+ inputs (no spaces, runs of one character).
// Run: node scripts/ref/tokenizer-corpus.mjs   (then regenerate the reference ids, see scripts/ref/tokenizer-*.)
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const SEED = 20251127;
const PER_CATEGORY = 650;
const OUT = new URL("../../test/golden/tokenizer/corpus.json.gz", import.meta.url);

/** mulberry32: small, fast, deterministic 32-bit PRNG. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  return { next, int, pick };
}

const r = rng(SEED);

// ---- languages and scripts -------------------------------------------------------------------
const WORDS = {
  en: "the quick brown fox jumps over lazy dog tokenizer language model weather tomorrow because although people children government information development".split(" "),
  de: "Straße Mädchen größer Übung Fußball schön Brötchen Gemütlichkeit Donaudampfschifffahrt über Käse müssen Bäume Häuser".split(" "),
  fr: "élève garçon naïve où façon déjà forêt hôpital cœur Noël très être château français œuvre".split(" "),
  es: "niño mañana corazón canción también España pequeño árbol jamás acción señor años ¿Dónde ¡Hola".split(" "),
  pt: "ação coração não pão avó você informação São Paulo irmã órgão".split(" "),
  it: "perché città già più così università caffè però virtù".split(" "),
  pl: "zażółć gęślą jaźń źdźbło łódź Kraków ćma żółw świat".split(" "),
  cs: "příliš žluťoučký kůň úpěl ďábelské ódy řeč čeština".split(" "),
  tr: "İstanbul ılık şeker çiçek ğ öğrenci ıslak Ağaç üzüm".split(" "),
  vi: "Tiếng Việt người chúng tôi được những không phở nước Hà Nội".split(" "),
  ru: "привет мир язык программирование съешь ещё этих мягких французских булок".split(" "),
  uk: "Україна ґанок їжак європейський щастя".split(" "),
  el: "Ελληνικά γλώσσα καλημέρα ευχαριστώ Αθήνα ψυχή ξέρω".split(" "),
  ar: "مرحبا بالعالم اللغة العربية كتاب مدرسة السلام عليكم".split(" "),
  he: "שלום עולם עברית ספר תודה ירושלים".split(" "),
  fa: "سلام دنیا زبان فارسی کتاب ایران".split(" "),
  hi: "नमस्ते दुनिया हिन्दी भाषा भारत किताब विद्यालय क्षत्रिय".split(" "),
  bn: "আমি বাংলায় গান গাই বাংলাদেশ ভাষা".split(" "),
  ta: "வணக்கம் தமிழ் மொழி புத்தகம்".split(" "),
  te: "తెలుగు భాష నమస్కారం".split(" "),
  th: "สวัสดีครับ ภาษาไทย กรุงเทพมหานคร ขอบคุณ".split(" "),
  lo: "ສະບາຍດີ ພາສາລາວ".split(" "),
  km: "សួស្តី ភាសាខ្មែរ".split(" "),
  my: "မင်္ဂလာပါ မြန်မာဘာသာ".split(" "),
  zh: "你好 世界 中文 汉字 我们 机器学习 人工智能 北京 繁體中文 龍".split(" "),
  ja: "こんにちは 世界 日本語 テキスト カタカナ ひらがな 東京 漢字 ｶﾀｶﾅ".split(" "),
  ko: "안녕하세요 세계 한국어 서울 감사합니다 한글".split(" "),
  ka: "გამარჯობა ქართული ენა".split(" "),
  hy: "Բարեւ հայերեն լեզու".split(" "),
  am: "ሰላም አማርኛ ቋንቋ".split(" "),
  si: "ආයුබෝවන් සිංහල".split(" "),
  mn: "Сайн байна уу ᠮᠣᠩᠭᠣᠯ".split(" "),
  bo: "བོད་ཡིག ཀུན་ལ".split(" "),
  yi: "ייִדיש שפּראַך".split(" "),
  cr: "ᓀᐦᐃᔭᐍᐏᐣ ᐊᒋᒧᐏᐣ".split(" "),
  sw: "habari dunia Kiswahili asante rafiki".split(" "),
  fi: "hyvää päivää äidinkieli yö".split(" "),
  is: "þetta er íslenska ðe þorp".split(" "),
};
const LANGS = Object.keys(WORDS);
const PUNCT = [".", ",", "!", "?", ";", ":", "…", "。", "、", "！", "？", "،", "؟", "।", "«", "»", "“", "”", "—", "-", "(", ")"];

function sentence(lang) {
  const n = r.int(1, 12);
  const ws = WORDS[lang];
  const noSpace = lang === "zh" || lang === "ja" || lang === "th" || lang === "lo" || lang === "km" || lang === "my";
  let s = "";
  for (let i = 0; i < n; i++) {
    if (i > 0 && (!noSpace || r.next() < 0.15)) s += " ";
    s += r.pick(ws);
    if (r.next() < 0.12) s += r.pick(PUNCT);
  }
  if (r.next() < 0.5) s += r.pick(PUNCT);
  if (r.next() < 0.3) s = s[0].toUpperCase() + s.slice(1);
  return s;
}

function languages() {
  if (r.next() < 0.25) {
    // mixed-script text
    return Array.from({ length: r.int(2, 4) }, () => sentence(r.pick(LANGS))).join(r.pick([" ", "", "\n", " - "]));
  }
  return sentence(r.pick(LANGS));
}

// ---- code ------------------------------------------------------------------------------------
const IDENTS = "x y i j n count total value result items user_id fooBar FooBar __init__ self this ctx buf len_ MAX_SIZE _private camelCaseName snake_case_name".split(" ");
const CODE_TEMPLATES = [
  () => `function ${r.pick(IDENTS)}(${r.pick(IDENTS)}, ${r.pick(IDENTS)}) {\n${ind()}return ${r.pick(IDENTS)} ${r.pick(["+", "-", "*", "/", "%", "&&", "||", "??", "===", "!=="])} ${r.int(0, 9999)};\n}`,
  () => `def ${r.pick(IDENTS)}(${r.pick(IDENTS)}):\n${ind()}if ${r.pick(IDENTS)} >= ${r.int(0, 100)}:\n${ind()}${ind()}return [${r.int(0, 9)}, ${r.int(10, 99)}]\n${ind()}return None`,
  () => `#include <stdio.h>\nint main(void) {\n\tprintf("%d\\n", ${r.int(-500, 500)});\n\treturn 0;\n}`,
  () => `fn ${r.pick(IDENTS)}<'a>(x: &'a [u8]) -> Option<usize> { x.iter().position(|&b| b == b'${r.pick(["a", "\\n", "0", "{"])}') }`,
  () => `<div class="${r.pick(IDENTS)}"><span id="s${r.int(0, 99)}">${sentence("en")}</span></div>`,
  () => `<table><tr><td>${r.int(0, 99)}</td><td>${r.pick(WORDS.de)}</td></tr></table>`,
  () => JSON.stringify({ [r.pick(IDENTS)]: r.int(0, 1e6), list: [r.next(), r.pick(WORDS.fr), null, true], nested: { k: r.pick(WORDS.ja) } }, null, r.pick([0, 2, 4, "\t"])),
  () => `SELECT ${r.pick(IDENTS)}, COUNT(*) FROM users WHERE age > ${r.int(0, 99)} GROUP BY 1 ORDER BY 2 DESC LIMIT ${r.int(1, 50)};`,
  () => `for f in *.txt; do grep -n '${r.pick(IDENTS)}' "$f" | awk -F: '{print $1}' >> out_${r.int(0, 9)}.log; done`,
  () => `const re = /^[a-z_][\\w$]*(?:\\.[a-z]+){0,${r.int(1, 9)}}$/giu; // ${sentence("en")}`,
  () => `    if (${r.pick(IDENTS)} != nullptr && ${r.pick(IDENTS)}->next) {\n        ${r.pick(IDENTS)} = ${r.pick(IDENTS)}->next;\n    }`,
  () => `\\begin{equation} \\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2} \\end{equation}`,
  () => `${r.pick(IDENTS)} := map[string]int{"a": ${r.int(0, 9)}, "b": ${r.int(10, 99)}}\n`,
  () => `- name: ${r.pick(IDENTS)}\n  run: |\n    npm ci\n    npm test -- --grep "${r.pick(WORDS.en)}"\n`,
  () => `0x${r.int(0, 0xffffff).toString(16)} 0b${r.int(0, 255).toString(2)} 1e-${r.int(1, 30)} ${r.pick(["<<=", ">>>", "=>", "->", "::", "...", "**", "//", "/* */", "<!-- -->"])}`,
];
function ind() {
  return r.pick(["  ", "    ", "\t", "        ", "\t\t", " "]);
}
function code() {
  const n = r.int(1, 3);
  return Array.from({ length: n }, () => r.pick(CODE_TEMPLATES)()).join(r.pick(["\n", "\n\n", "\r\n", ""]));
}

// ---- whitespace runs -------------------------------------------------------------------------
const WS = [" ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2009", "\u200b", "\v", "\f"];
function whitespace() {
  let s = "";
  const parts = r.int(1, 8);
  for (let i = 0; i < parts; i++) {
    const kind = r.next();
    let run = "";
    const len = r.next() < 0.15 ? r.int(20, 90) : r.int(1, 8);
    if (kind < 0.4) run = r.pick([" ", "\t", "\n"]).repeat(len);
    else for (let k = 0; k < len; k++) run += r.next() < 0.8 ? r.pick([" ", "\t", "\n"]) : r.pick(WS);
    s += run;
    if (r.next() < 0.7) s += r.pick([...WORDS.en, ...WORDS.ru, "x", "{", "}", "a b", "<td>"]);
  }
  return s;
}

// ---- emoji and ZWJ sequences -----------------------------------------------------------------
const EMOJI = ["😀", "😂", "🥲", "🤖", "🦀", "🫩", "🧑‍💻", "👩‍👩‍👧‍👦", "👨🏽‍🚀", "🏳️‍🌈", "🏴‍☠️", "❤️", "❤️‍🔥", "👍🏻", "👍🏿", "✌️", "🇩🇪", "🇯🇵", "🇺🇸", "1️⃣", "#️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "☕", "🙂‍↔️", "🐈‍⬛", "👁️‍🗨️", "🧔‍♀️", "🫱🏼‍🫲🏾", "™️", "©", "⌚", "🀄", "🃏"];
function emoji() {
  let s = "";
  const n = r.int(1, 10);
  for (let i = 0; i < n; i++) {
    const k = r.next();
    if (k < 0.5) s += r.pick(EMOJI);
    else if (k < 0.65) s += String.fromCodePoint(r.int(0x1f300, 0x1faff));
    else if (k < 0.75) s += String.fromCodePoint(r.int(0x1f466, 0x1f469), 0x200d, r.int(0x1f466, 0x1f469));
    else if (k < 0.85) s += String.fromCodePoint(r.int(0x1f1e6, 0x1f1ff), r.int(0x1f1e6, 0x1f1ff));
    else s += " " + r.pick(WORDS.en) + r.pick(["", " ", "!"]);
  }
  return s;
}

// ---- combining marks -------------------------------------------------------------------------
function combining() {
  let s = "";
  const n = r.int(1, 12);
  for (let i = 0; i < n; i++) {
    const k = r.next();
    if (k < 0.45) {
      s += r.pick("aeiouyAEIOnNcszgqxİı".split(""));
      const m = r.int(1, 4);
      for (let j = 0; j < m; j++) s += String.fromCodePoint(r.int(0x300, 0x36f));
    } else if (k < 0.6) {
      s += r.pick(WORDS.fr).normalize(r.pick(["NFC", "NFD", "NFKD"]));
    } else if (k < 0.7) {
      s += String.fromCodePoint(r.int(0x1100, 0x1112), r.int(0x1161, 0x1175), r.int(0x11a8, 0x11c2)); // conjoining jamo
    } else if (k < 0.8) {
      s += String.fromCodePoint(r.int(0x915, 0x939), r.pick([0x94d, 0x93f, 0x941, 0x902, 0x93c])); // Devanagari + sign
    } else if (k < 0.88) {
      s += String.fromCodePoint(r.int(0xe01, 0xe2e), r.pick([0xe31, 0xe34, 0xe47, 0xe48, 0xe49])); // Thai + mark
    } else if (k < 0.94) {
      s += String.fromCodePoint(r.int(0x5d0, 0x5ea), r.int(0x591, 0x5c7)); // Hebrew + point
    } else {
      s += String.fromCodePoint(0x20dd + r.int(0, 3)) + "Z\u0338\u20e3";
    }
    if (r.next() < 0.3) s += " ";
  }
  return s;
}

// ---- digits and numbers ----------------------------------------------------------------------
const DIGIT_SETS = ["0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "０１２３４５６７８９", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉", "๐๑๒๓๔๕๖๗๘๙"];
function digits(len, set = "0123456789") {
  const ds = Array.from(set);
  let s = "";
  for (let i = 0; i < len; i++) s += r.pick(ds);
  return s;
}
function numbers() {
  const k = r.next();
  if (k < 0.2) return digits(r.int(1, 40));
  if (k < 0.3) return `${r.int(-1e6, 1e6)}.${digits(r.int(1, 8))}`;
  if (k < 0.4) return `+${r.int(1, 99)} (${digits(3)}) ${digits(3)}-${digits(4)}`;
  if (k < 0.5) return `${r.int(1900, 2100)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}T${digits(2)}:${digits(2)}:${digits(2)}Z`;
  if (k < 0.6) return String(r.int(0, 2 ** 31)).replace(/\B(?=(\d{3})+(?!\d))/g, r.pick([",", ".", " ", "\u202f", "'"]));
  if (k < 0.72) return digits(r.int(1, 20), r.pick(DIGIT_SETS));
  if (k < 0.8) return `${r.pick(["$", "€", "£", "¥", "₹", "₿"])}${r.int(0, 99999)}${r.pick([".99", ",50", "", "k", "M"])}`;
  if (k < 0.88) return `${r.pick(WORDS.en)}${r.int(0, 999)}${r.pick(IDENTS)}${digits(r.int(1, 6))}`;
  if (k < 0.94) return `${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}:${r.int(1, 65535)} ⅓ ½ Ⅻ ⑤ ㊿`;
  return `${digits(r.int(1, 5))} ${r.pick(["×", "÷", "±", "≤", "≈", "^", "%", "‰"])} ${digits(r.int(1, 5))} = ${digits(r.int(1, 9))}`;
}

// ---- special-token strings -------------------------------------------------------------------
const SPECIAL = [
  "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "[multimodal]", "<start_of_image>",
  "<end_of_image>", "<image_soft_token>", "<table>", "</table>", "<td>", "<tr>", "<h1>", "<b>", "</b>", "<code>", "</code>",
  "<blockquote>", "<unused0>", "<unused17>", "<unused98>", "<unused99>", "<unused6241>", "<start_of_turn", "start_of_turn>",
  "<<bos>>", "<BOS>", "< bos >", "<end_of_turn><end_of_turn>", "<s>", "</s>", "<|im_start|>", "▁", "▁▁", "▁hello",
  "<0x41>", "<0xE4>", "<start_of_turn>user", "<start_of_turn>model",
];
function special() {
  let s = r.next() < 0.3 ? "<bos>" : "";
  const n = r.int(1, 6);
  for (let i = 0; i < n; i++) {
    s += r.pick(SPECIAL);
    const k = r.next();
    if (k < 0.3) s += "\n";
    else if (k < 0.5) s += " ";
    else if (k < 0.75) s += r.pick([sentence("en"), sentence(r.pick(LANGS)), "user\n", "model\n", "Hi", "  "]);
  }
  return s;
}

// ---- random valid Unicode --------------------------------------------------------------------
function randomScalar() {
  const k = r.next();
  let cp;
  if (k < 0.3) cp = r.int(0x20, 0x7e);
  else if (k < 0.55) cp = r.int(0xa0, 0x2fff);
  else if (k < 0.7) cp = r.int(0x3000, 0x9fff);
  else if (k < 0.8) cp = r.int(0xa000, 0xffff);
  else if (k < 0.93) cp = r.int(0x10000, 0x2ffff);
  else if (k < 0.97) cp = r.int(0x0, 0x1f);
  else cp = r.int(0x30000, 0x10ffff);
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // surrogates are not scalar values
  return String.fromCodePoint(cp);
}
function randomUnicode() {
  let s = "";
  const n = r.next() < 0.1 ? r.int(50, 300) : r.int(1, 40);
  for (let i = 0; i < n; i++) s += randomScalar();
  return s;
}

// ---- large inputs ----------------------------------------------------------------------------
function large() {
  const letters = (n, alphabet) => {
    const a = Array.from(alphabet);
    let s = "";
    for (let i = 0; i < n; i++) s += r.pick(a);
    return s;
  };
  return [
    letters(120_000, "abcdefghijklmnopqrstuvwxyz"),
    letters(110_000, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,;"),
    Array.from({ length: 40_000 }, () => r.pick(WORDS.zh.concat(WORDS.ja))).join("").slice(0, 100_000),
    "a".repeat(150_000),
    " ".repeat(100_000),
    "\n".repeat(100_000),
    "😀".repeat(50_000),
    "9".repeat(100_000),
    "ab".repeat(60_000),
  ];
}

const CATEGORIES = [
  ["languages", languages],
  ["code", code],
  ["whitespace", whitespace],
  ["emoji", emoji],
  ["combining", combining],
  ["numbers", numbers],
  ["special", special],
  ["random-unicode", randomUnicode],
];

const strings = [];
const category = [];
for (const [name, gen] of CATEGORIES) {
  for (let i = 0; i < PER_CATEGORY; i++) {
    strings.push(gen());
    category.push(name);
  }
}
for (const s of large()) {
  strings.push(s);
  category.push("large");
}

const corpusSha256 = createHash("sha256").update(JSON.stringify(strings)).digest("hex");
const doc = { generator: "scripts/ref/tokenizer-corpus.mjs", seed: SEED, count: strings.length, corpusSha256, category, strings };
writeFileSync(OUT, gzipSync(Buffer.from(JSON.stringify(doc)), { level: 9 }));
console.error(`wrote ${strings.length} strings (sha256 ${corpusSha256}) to ${OUT.pathname}`);
