/*! <jm-search> — the embeddable search box of 江门产业搜索 (Jiangmen industry search).
 * One script tag and one element, no framework, no build step; see docs/WIDGET.md.
 *   <script src="https://OUR-HOST/widget.js" defer></script>
 *   <jm-search endpoint="https://OUR-HOST" lang="zh" mode="inline"></jm-search>
 * lang: zh, en, or zh-Hant (also zh-TW, zh-HK, zh-MO) for traditional characters.
 * Safety: server text reaches the page through text nodes only. Snippets ("escaped text
 * whose only markup is <mark>", docs/WEBAPP.md) are rebuilt node by node, never parsed
 * as HTML, so nothing here needs innerHTML and a Trusted Types policy is not required.
 */
(() => {
  "use strict";
  const VERSION = "1.0.0";
  const TAG = "jm-search";
  if (!window.customElements || customElements.get(TAG)) return; // old browser, or loaded twice

  // Where this file came from is the default endpoint (document.currentScript is set while
  // a classic script, deferred or not, runs for the first time).
  const SCRIPT_ORIGIN = (() => {
    try { return new URL(document.currentScript.src).origin; } catch { return location.origin; }
  })();
  const DEBOUNCE_MS = 150; // a keystroke pause; short enough to feel live, long enough to skip most keys
  const ASK_PAUSE_MS = 700; // answers cost more than a search: wait for a longer pause (or Enter)
  const MAX_SUGGESTIONS = 4;

  // The server adds "zh-Hant" after the zh block when it serves this file: the same strings
  // in traditional characters, made with OpenCC (webapp/widget.py). Keep the markers.
  const LABELS = {
    // zh:begin
    zh: {
      placeholder: "搜索或提问…", label: "搜索或提问", open: "搜索", close: "关闭", dialog: "搜索",
      suggestions: "搜索建议", results: "搜索结果", answer: "答案", sources: "出处", english: "英文要点",
      loading: "正在搜索…", thinking: "正在查找答案…",
      count: (n) => `约 ${n} 条结果`, none: (q) => `没有找到与“${q}”相关的内容。`,
      related: "意思相近的段落", relatedOnly: "没有段落包含这些词，以下是意思最接近的段落。",
      noAnswer: "报道中没有找到这个问题的答案，下面是最接近的段落。",
      note: "答案句子原样摘自报道，编号指向出处。", evidenceZh: "",
      cite: (n) => `出处 ${n}`, hints: ["↑↓ 选择", "↵ 打开", "Esc 关闭"],
      months: null,
      errors: {
        network: "无法连接搜索服务，请稍后再试。", rate_limited: "搜索太频繁了，请稍后再试。",
        query_too_long: "查询太长了，请缩短后再试。", index_not_built: "搜索服务还没有准备好。",
        other: "搜索出错了，请稍后再试。",
      },
    },
    // zh:end
    en: {
      placeholder: "Search or ask a question…", label: "Search or ask a question", open: "Search", close: "Close",
      dialog: "Search", suggestions: "Suggestions", results: "Results", answer: "Answer", sources: "Sources",
      english: "In English", loading: "Searching…", thinking: "Finding an answer…",
      count: (n) => (n === 1 ? "1 result" : `About ${n} results`), none: (q) => `Nothing found for “${q}”.`,
      related: "Closest in meaning", relatedOnly: "No passage contains these words; these are the closest in meaning.",
      noAnswer: "The articles do not answer this question. The closest passages are below.",
      note: "The answer quotes the articles word for word; the numbers point to the sources.",
      evidenceZh: "The sources are in Chinese and are shown as written.",
      cite: (n) => `source ${n}`, hints: ["↑↓ select", "↵ open", "Esc close"],
      months: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
      errors: {
        network: "The search service cannot be reached. Please try again later.",
        rate_limited: "Too many searches. Please wait a moment.", query_too_long: "That query is too long.",
        index_not_built: "The search service is not ready yet.", other: "Search failed. Please try again later.",
      },
    },
  };

  // The same test as webapp/questions.py: a question gets the answer card even when the
  // articles do not answer it; other queries get it only when there is an answer.
  const isQuestion = (q) =>
    /[?？]$/.test(q) ||
    /^(what|how|who|whom|whose|when|where|which|why|is|are|was|were|does|do|did|can|could|will|has|have)\b/i.test(q) ||
    /多少|什么|哪|几|如何|怎么|怎样|是否|谁|吗|为何|为什么|么$|甚麼|什麼|幾|怎麼|怎樣|誰|嗎|為何|為什麼|麼$/.test(q);
  const hasCjk = (s) => /[\u3400-\u9fff]/.test(s || "");

  const DARK = "--_accent:var(--jm-accent,#8ab4f8);--_accent-text:var(--jm-accent-text,#0b1320);" +
    "--_bg:var(--jm-bg,#1f2430);--_text:var(--jm-text,#e8eaed);--_muted:var(--jm-muted,#aeb6c2);" +
    "--_border:var(--jm-border,#3b4352);--_mark:var(--jm-mark,#7a6300);--_hover:var(--jm-hover,#2c3647);" +
    "--_error:var(--jm-error,#f2b8b5);color-scheme:dark";
  // :host rules marked !important win over the host page's !important rules (for important
  // declarations the inner, shadow context wins): `* { display:none !important }` on the page
  // cannot hide the widget. `.root { all: initial }` stops inherited page styles (colour, font,
  // line-height, letter-spacing, visibility…) at the boundary; custom properties still flow in.
  const CSS = `
:host{display:block!important;visibility:visible!important;opacity:1!important;content-visibility:visible!important;pointer-events:auto!important;
--_accent:var(--jm-accent,#0b57d0);--_accent-text:var(--jm-accent-text,#fff);--_bg:var(--jm-bg,#fff);--_text:var(--jm-text,#1b2330);
--_muted:var(--jm-muted,#556070);--_border:var(--jm-border,#cfd6df);--_mark:var(--jm-mark,#ffe27a);--_hover:var(--jm-hover,#e9f0fe);
--_error:var(--jm-error,#b3261e);--_radius:var(--jm-radius,10px);--_shadow:var(--jm-shadow,0 10px 30px rgba(16,24,40,.18));
--_font:var(--jm-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif);
--_font-zh:var(--jm-font,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",system-ui,sans-serif);color-scheme:light}
:host([mode=modal]){display:inline-block!important}
:host([hidden]){display:none!important}
:host([theme=dark]){${DARK}}
@media (prefers-color-scheme:dark){:host([theme=auto]){${DARK}}}
.root{all:initial;display:block;position:relative;font-family:var(--_font);font-size:var(--jm-font-size,16px);line-height:1.6;color:var(--_text);text-align:start;-webkit-text-size-adjust:100%}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
:lang(zh){font-family:var(--_font-zh)}
:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.box{display:flex;align-items:center;gap:.5em;min-height:2.8em;padding:0 .8em;background:var(--_bg);border:1px solid var(--_border);border-radius:var(--_radius);color:var(--_muted)}
.box:focus-within{border-color:var(--_accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--_accent) 22%,transparent)}
.box svg{flex:none;width:1.15em;height:1.15em}
input{flex:1;min-width:0;margin:0;padding:.6em 0;border:0;outline:0!important;background:none;font:inherit;color:var(--_text);-webkit-appearance:none;appearance:none}
input::placeholder{color:var(--_muted);opacity:1}
input::-webkit-search-cancel-button{cursor:pointer}
.spin{display:none;flex:none;width:1em;height:1em;border:2px solid var(--_border);border-top-color:var(--_accent);border-radius:50%;animation:r .7s linear infinite}
.root[data-state=loading] .spin{display:block}
@keyframes r{to{transform:rotate(1turn)}}
@media (prefers-reduced-motion:reduce){.spin{animation-duration:2s}}
.panel{position:absolute;z-index:var(--jm-z-index,2147483000);left:0;right:0;top:calc(100% + .4em);max-height:var(--jm-panel-height,min(70vh,36em));overflow:auto;overscroll-behavior:contain;
background:var(--_bg);border:1px solid var(--_border);border-radius:var(--_radius);box-shadow:var(--_shadow)}
.answer{margin:.6em;padding:.7em .9em;border:1px solid var(--_border);border-left:4px solid var(--_accent);border-radius:calc(var(--_radius) - 2px)}
.answer[data-answered=false]{border-left-color:var(--_muted)}
h2{margin:0 0 .25em;font-size:.8em;font-weight:700;letter-spacing:.03em;color:var(--_accent)}
.answer[data-answered=false] h2{color:var(--_muted)}
p{margin:0}
.atext{font-size:1.05em;line-height:1.8}
.eng{margin:0 0 .4em;padding:0;list-style:none}
.eng li{margin:.1em 0}
.note,.meta,.foot{font-size:.78em;color:var(--_muted)}
.note{margin-top:.35em}
.cite{display:inline-block;margin:0 .1em;padding:0 .2em;font-size:.75em;line-height:1.3;vertical-align:.35em;border-radius:4px;color:var(--_accent);text-decoration:none}
.cite:hover,.cite:focus-visible{background:var(--_accent);color:var(--_accent-text)}
h3{margin:.6em 0 .2em;font-size:.78em;font-weight:600;color:var(--_muted)}
ol{margin:0;padding:0;list-style:none;font-size:.88em}
ol li{display:flex;gap:.5em;margin:.2em 0}
.n{flex:none;align-self:flex-start;min-width:1.5em;text-align:center;font-size:.85em;line-height:1.6;border-radius:4px;background:var(--_hover);color:var(--_accent)}
ol a{color:var(--_accent);text-underline-offset:.15em}
q{display:block;color:var(--_text);quotes:none}
[role=listbox]{padding:.2em 0 .4em}
.group{padding:.5em 1em .15em;font-size:.75em;font-weight:600;color:var(--_muted)}
[role=option]{display:block;cursor:pointer;color:var(--_text)}
[role=option][aria-selected=true],[role=option]:hover{background:var(--_hover)}
.sugg{padding:.35em 1em}
.sugg mark{background:none;color:inherit;font-weight:700}
[role=option] a{display:block;padding:.5em 1em;color:inherit;text-decoration:none}
.title{display:block;font-weight:600;color:var(--_accent)}
.heading{display:block;font-size:.8em;color:var(--_muted)}
.snip{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden;margin-top:.1em;font-size:.9em}
mark{background:var(--_mark);color:inherit;border-radius:2px}
.meta{display:block;margin-top:.15em}
.msg{padding:.8em 1em;color:var(--_muted)}
.err{color:var(--_error)}
.vh{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{font:inherit;color:inherit;cursor:pointer}
.trigger{display:inline-flex;align-items:center;gap:.5em;min-width:13em;min-height:2.5em;padding:0 .6em 0 .8em;background:var(--_bg);color:var(--_muted);border:1px solid var(--_border);border-radius:var(--_radius)}
.trigger:hover{border-color:var(--_accent);color:var(--_text)}
.trigger svg{width:1.1em;height:1.1em}
kbd{margin-left:auto;padding:0 .4em;font:inherit;font-size:.75em;border:1px solid var(--_border);border-radius:4px}
dialog{display:flex;flex-direction:column;width:min(var(--jm-modal-width,42em),calc(100vw - 2em));max-width:none;max-height:min(80vh,46em);margin:10vh auto auto;padding:0;
border:0;border-radius:calc(var(--_radius) + 2px);background:var(--_bg);color:var(--_text);box-shadow:var(--_shadow);overflow:hidden}
dialog:not([open]){display:none}
dialog::backdrop{background:rgba(15,20,30,.5)}
.head{display:flex;gap:.5em;padding:.7em;border-bottom:1px solid var(--_border)}
.head .box{flex:1}
.x{padding:0 .7em;background:none;border:1px solid var(--_border);border-radius:var(--_radius);font-size:.85em;color:var(--_muted)}
dialog .panel{position:static;flex:1;max-height:none;border:0;border-radius:0;box-shadow:none}
.foot{display:flex;gap:1.2em;padding:.45em 1em;border-top:1px solid var(--_border)}
@media (max-width:600px){dialog{width:100vw;height:100%;max-height:none;margin:0;border-radius:0}.foot{display:none}}
`;

  let sheet = null; // one constructed stylesheet shared by every widget on the page
  function styleFor(shadow) {
    // A constructed stylesheet is not blocked by the host page's `style-src`; a <style>
    // element is the fallback for browsers without adoptedStyleSheets.
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      shadow.adoptedStyleSheets = [sheet];
      return [];
    } catch {
      return [h("style", {}, CSS)];
    }
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) el.setAttribute(name, value === true ? "" : value);
    }
    el.append(...children.filter((c) => c != null && c !== ""));
    return el;
  }

  function icon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    for (const [tag, attrs] of [["circle", { cx: 11, cy: 11, r: 7 }], ["path", { d: "M20 20l-4-4" }]]) {
      const shape = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries({ ...attrs, fill: "none", stroke: "currentColor", "stroke-width": 2.2, "stroke-linecap": "round" })) {
        shape.setAttribute(k, v);
      }
      svg.append(shape);
    }
    return svg;
  }

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
      if (name[0] !== "#") return ENTITIES[name.toLowerCase()] ?? whole;
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    });
  }

  // "a &lt;b&gt; <mark>c</mark>" -> ["a <b> ", <mark>c</mark>]: only <mark> becomes an element;
  // anything else that looks like a tag stays visible text.
  function snippetNodes(snippet) {
    const nodes = [];
    let marked = false;
    for (const piece of String(snippet || "").split(/(<\/?mark>)/i)) {
      const tag = piece.toLowerCase();
      if (tag === "<mark>") marked = true;
      else if (tag === "</mark>") marked = false;
      else if (piece) nodes.push(marked ? h("mark", { part: "mark" }, decodeEntities(piece)) : decodeEntities(piece));
    }
    return nodes;
  }

  function formatDate(date, L) {
    const parts = String(date || "").split("-");
    if (!date || !parts.every((p) => /^\d+$/.test(p))) return date || "";
    const n = parts.map(Number);
    if (!L.months) return n.map((x, i) => x + "年月日"[i]).join("");
    if (n.length === 1 || n[1] < 1 || n[1] > 12) return date;
    return (n.length === 3 ? n[2] + " " : "") + L.months[n[1] - 1] + " " + n[0];
  }

  class ApiError extends Error {
    constructor(code, status = 0, retryAfter = null) {
      super(code);
      this.code = code;
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  class JmSearch extends HTMLElement {
    static get observedAttributes() { return ["lang", "mode", "placeholder"]; }
    static get version() { return VERSION; }

    #ui = null; // the parts built by #render
    #options = []; // [{el, kind: "suggestion"|"result", value, link}]
    #active = -1;
    #controller = null;
    #seq = 0;
    #searched = null; // the query whose results are shown (or on their way)
    #asked = null; // the query whose answer is shown (or on its way)
    #typing = 0;
    #askTimer = 0;
    #composing = false;
    #opener = null;

    connectedCallback() {
      if (!this.#ui) this.#render();
      document.addEventListener("keydown", this.#onShortcut);
      document.addEventListener("pointerdown", this.#onOutside, true);
    }

    disconnectedCallback() {
      document.removeEventListener("keydown", this.#onShortcut);
      document.removeEventListener("pointerdown", this.#onOutside, true);
      this.#cancel();
    }

    attributeChangedCallback(name, before, after) {
      if (this.#ui && before !== after) this.#render();
    }

    /** Open the search dialog (mode="modal") or focus the box (mode="inline"). */
    open() {
      const { dialog, input } = this.#ui;
      if (dialog && !dialog.open) {
        const focused = document.activeElement;
        this.#opener = focused && focused !== this && focused !== document.body ? focused : null;
        dialog.showModal();
        this.#emit("jm-open");
      }
      input.focus();
      input.select();
    }

    /** Close the dialog (focus goes back where it was) or collapse the inline results. */
    close() {
      const { dialog } = this.#ui;
      if (dialog && dialog.open) dialog.close(); // the "close" listener puts focus back
      else this.#expand(false);
    }

    /** Run a search (and ask for an answer) as if `text` had been typed and Enter pressed. */
    search(text) {
      this.#ui.input.value = String(text ?? "");
      this.#submit();
    }

    get #lang() {
      const lang = (this.getAttribute("lang") || this.parentElement?.closest("[lang]")?.lang || navigator.language || "").toLowerCase();
      if (!/^zh(-|_|$)/.test(lang)) return "en";
      // zh-Hant, zh-TW, zh-HK, zh-MO (and zh-Hant-HK…) write traditional characters; zh-Hans-HK does not.
      return /[-_]hant\b/.test(lang) || (/[-_](tw|hk|mo)\b/.test(lang) && !/[-_]hans\b/.test(lang)) ? "zh-Hant" : "zh";
    }

    get #labels() { return LABELS[this.#lang] || LABELS.zh; }

    // A Chinese widget answers a question typed in traditional characters in them
    // (the API says which script the query was typed in).
    #labelsFor(body) {
      return body && body.script === "Hant" && this.#lang !== "en" ? LABELS["zh-Hant"] || this.#labels : this.#labels;
    }

    get #modal() { return this.getAttribute("mode") === "modal"; }

    get #endpoint() {
      const url = new URL(this.getAttribute("endpoint") || SCRIPT_ORIGIN, location.href);
      if (!/^https?:$/.test(url.protocol)) throw new ApiError("network");
      return url.origin + url.pathname.replace(/\/+$/, "");
    }

    get #resultCount() {
      const n = parseInt(this.getAttribute("results"), 10);
      return n >= 1 ? Math.min(n, 20) : 5;
    }

    // sort="date": newest first (ties by score), as a news site lists; anything else is relevance.
    get #searchParams() {
      return this.getAttribute("sort") === "date" ? { sort: "date" } : {};
    }

    #render() {
      this.#cancel(); // answers on their way belong to the parts about to be replaced
      const shadow = this.shadowRoot || this.attachShadow({ mode: "open" });
      const L = this.#labels;
      const lang = this.#lang === "zh" ? "zh-CN" : this.#lang;
      const input = h("input", {
        type: "search", part: "input", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
        "aria-controls": "jm-listbox", "aria-label": L.label, autocomplete: "off", autocapitalize: "off",
        spellcheck: "false", enterkeyhint: "search", placeholder: this.getAttribute("placeholder") || L.placeholder,
      });
      const box = h("div", { class: "box", part: "box" }, icon(), input, h("span", { class: "spin", part: "spinner", "aria-hidden": "true" }));
      const answer = h("section", { class: "answer", part: "answer", "aria-live": "polite", hidden: true });
      const listbox = h("div", { role: "listbox", id: "jm-listbox", part: "listbox", "aria-label": L.results });
      const message = h("p", { class: "msg", part: "message", hidden: true });
      const panel = h("div", { class: "panel", part: "panel", hidden: true }, answer, listbox, message);
      const status = h("p", { class: "vh", role: "status", "aria-live": "polite" });
      const root = h("div", { class: "root", lang, "data-state": "idle" });
      let dialog = null;
      if (this.#modal) {
        const trigger = h("button", { type: "button", class: "trigger", part: "button", "aria-haspopup": "dialog" },
          icon(), h("span", {}, this.getAttribute("placeholder") || L.open), h("kbd", { "aria-hidden": "true" }, "/"));
        const closer = h("button", { type: "button", class: "x", part: "close" }, L.close);
        dialog = h("dialog", { part: "dialog", "aria-label": L.dialog },
          h("div", { class: "head" }, box, closer), panel, status,
          h("div", { class: "foot", "aria-hidden": "true" }, ...L.hints.map((hint) => h("span", {}, hint))));
        trigger.addEventListener("click", () => this.open());
        closer.addEventListener("click", () => this.close());
        dialog.addEventListener("close", () => this.#restoreFocus(trigger));
        dialog.addEventListener("cancel", (event) => { event.preventDefault(); this.close(); });
        dialog.addEventListener("click", (event) => {
          const r = dialog.getBoundingClientRect(); // a click on the backdrop lands on the dialog itself
          if (event.target === dialog && (event.clientY < r.top || event.clientY > r.bottom || event.clientX < r.left || event.clientX > r.right)) this.close();
        });
        root.append(trigger, dialog);
      } else {
        root.append(box, panel, status);
      }
      shadow.replaceChildren(...styleFor(shadow), root);
      this.#ui = { root, input, box, panel, answer, listbox, message, status, dialog };
      this.#options = [];
      this.#active = -1;
      this.#searched = this.#asked = null;

      input.addEventListener("compositionstart", () => { this.#composing = true; });
      input.addEventListener("compositionend", () => { this.#composing = false; this.#onInput(); });
      input.addEventListener("input", (event) => { if (!event.isComposing && !this.#composing) this.#onInput(); });
      input.addEventListener("keydown", (event) => this.#onKey(event));
      input.addEventListener("focus", () => { if (input.value.trim() && this.#searched) this.#expand(true); });
      root.addEventListener("focusout", (event) => {
        const next = event.relatedTarget;
        if (next && next !== this && !shadow.contains(next) && !this.#modal) this.#expand(false);
      });
    }

    #restoreFocus(trigger) {
      const target = this.#opener && this.#opener.isConnected ? this.#opener : trigger;
      this.#opener = null;
      target.focus();
      this.#emit("jm-close");
    }

    #onShortcut = (event) => {
      if (this.getAttribute("shortcut") === "off" || document.querySelector(`${TAG}:not([shortcut=off])`) !== this) return;
      const target = event.composedPath()[0] || event.target;
      const typing = target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName || "");
      const ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && (event.key || "").toLowerCase() === "k";
      const slash = event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey;
      if (!ctrlK && !slash) return;
      event.preventDefault();
      if (ctrlK && this.#ui.dialog?.open) this.close();
      else this.open();
    };

    #onOutside = (event) => {
      if (!this.#modal && !event.composedPath().includes(this)) this.#expand(false);
    };

    #onInput() {
      clearTimeout(this.#typing);
      clearTimeout(this.#askTimer);
      this.#typing = setTimeout(() => this.#run(), DEBOUNCE_MS);
    }

    #onKey(event) {
      if (event.isComposing || this.#composing || event.keyCode === 229) return; // Enter picks an IME candidate
      const count = this.#options.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!count) return;
        this.#expand(true);
        const down = event.key === "ArrowDown";
        this.#setActive(down ? (this.#active + 1) % count : this.#active <= 0 ? count - 1 : this.#active - 1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (this.#active >= 0) this.#choose(this.#active);
        else this.#submit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        if (this.#active >= 0) this.#setActive(-1);
        else if (this.#modal) this.close();
        else if (!this.#ui.panel.hidden) this.#expand(false);
        else this.#clear();
      }
    }

    #setActive(index) {
      this.#options.forEach((o, i) => o.el.setAttribute("aria-selected", String(i === index)));
      this.#active = index;
      const { input } = this.#ui;
      if (index < 0) { input.removeAttribute("aria-activedescendant"); return; }
      input.setAttribute("aria-activedescendant", this.#options[index].el.id);
      this.#options[index].el.scrollIntoView({ block: "nearest" });
    }

    #choose(index) {
      const option = this.#options[index];
      if (!option) return;
      if (option.kind === "suggestion") {
        this.#ui.input.value = option.value;
        this.#submit();
      } else {
        option.link.click(); // opens the passage in a new tab, through the same path as a click
      }
    }

    #submit() {
      clearTimeout(this.#typing);
      clearTimeout(this.#askTimer);
      const q = this.#ui.input.value.trim();
      if (q !== this.#searched) this.#run();
      if (q) this.#ask(q, true);
    }

    #clear() {
      this.#cancel();
      this.#ui.input.value = "";
      this.#searched = this.#asked = null;
      this.#ui.answer.hidden = true;
      this.#fillList([]);
      this.#ui.message.hidden = true;
      this.#state("idle");
      this.#expand(false);
    }

    #cancel() {
      clearTimeout(this.#typing);
      clearTimeout(this.#askTimer);
      if (this.#controller) this.#controller.abort();
      this.#controller = null;
      this.#seq++;
    }

    #state(state) { this.#ui.root.dataset.state = state; }

    #expand(open) {
      const { panel, input } = this.#ui;
      open = open && !!this.#searched;
      panel.hidden = !open;
      input.setAttribute("aria-expanded", String(open && this.#options.length > 0));
      if (!open) this.#setActive(-1);
    }

    async #run() {
      const { input } = this.#ui;
      const q = input.value.trim();
      if (!q) { this.#clear(); return; }
      this.#cancel();
      const seq = this.#seq;
      const controller = (this.#controller = new AbortController());
      this.#searched = q;
      this.#asked = null;
      this.#state("loading");
      this.#ui.panel.setAttribute("aria-busy", "true");
      this.#emit("jm-search", { query: q });
      if (isQuestion(q) && this.#answersOn) this.#askTimer = setTimeout(() => this.#ask(q, false), ASK_PAUSE_MS);
      else this.#ui.answer.hidden = true;
      const suggestions = this.#get("/api/suggest", { q: input.value.trimStart(), limit: MAX_SUGGESTIONS + 1 }, controller)
        .catch(() => ({ suggestions: [] })); // suggestions are a nicety: their failure is silent
      try {
        const [suggested, found] = await Promise.all([suggestions, this.#get("/api/search", { q, k: this.#resultCount, ...this.#searchParams }, controller)]);
        if (seq !== this.#seq) return;
        this.#showResults(q, input.value.trimStart(), suggested.suggestions || [], found);
        this.#state("ready");
        this.#emit("jm-results", { query: q, total: found.total, results: this.#options.filter((o) => o.kind === "result").length });
      } catch (error) {
        if (seq === this.#seq && error.name !== "AbortError") this.#showError(error);
      } finally {
        if (seq === this.#seq) this.#ui.panel.removeAttribute("aria-busy");
      }
    }

    get #answersOn() { return this.getAttribute("answers") !== "off"; }

    get #failed() { return this.#ui.root.dataset.state === "error"; }

    async #ask(q, explicit) {
      if (!this.#answersOn || this.#asked === q || !this.#controller || this.#failed) return;
      this.#asked = q;
      const seq = this.#seq;
      const { answer } = this.#ui;
      const question = isQuestion(q);
      if (question) {
        answer.dataset.answered = "pending";
        answer.replaceChildren(h("h2", { part: "answer-title" }, this.#labels.answer), h("p", { class: "note" }, this.#labels.thinking));
        answer.hidden = false;
        this.#expand(true);
      }
      try {
        const body = await this.#get("/api/ask", { q }, this.#controller);
        if (seq !== this.#seq) return;
        if (body.answered || question) this.#showAnswer(body);
        else answer.hidden = true;
        this.#emit("jm-answer", { query: q, answered: !!body.answered, citations: (body.citations || []).length });
      } catch (error) {
        if (seq !== this.#seq || error.name === "AbortError") return;
        if (this.#failed) answer.hidden = true; // the search failed too: one message is enough
        else if (question || explicit) {
          answer.dataset.answered = "false";
          answer.replaceChildren(h("h2", { part: "answer-title" }, this.#labels.answer), this.#errorText(error));
          answer.hidden = false;
        }
      }
    }

    async #get(path, params, controller) {
      const url = new URL(this.#endpoint + path);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      let response;
      try {
        // A GET with only safelisted headers: no preflight, no cookies sent or accepted.
        response = await fetch(url, { signal: controller.signal, mode: "cors", credentials: "omit", headers: { Accept: "application/json" } });
      } catch (error) {
        if (error.name === "AbortError") throw error;
        throw new ApiError("network"); // offline, or refused by CORS: the browser does not say which
      }
      let body = null;
      try { body = await response.json(); } catch { /* not JSON: handled below */ }
      if (!response.ok || !body || typeof body !== "object") {
        throw new ApiError(body?.error?.code || "other", response.status, response.headers.get("Retry-After"));
      }
      return body;
    }

    #errorText(error) {
      const errors = this.#labels.errors;
      return h("p", { class: "err", part: "error", role: "alert", "data-code": error.code }, errors[error.code] || errors.other);
    }

    #showError(error) {
      const { message, answer, status } = this.#ui;
      this.#fillList([]);
      answer.hidden = true;
      message.replaceChildren(this.#errorText(error));
      message.hidden = false;
      status.textContent = "";
      this.#state("error");
      this.#expand(true);
      this.#emit("jm-error", { code: error.code, status: error.status, retryAfter: error.retryAfter });
    }

    #showResults(q, typed, suggestions, found) {
      const L = this.#labelsFor(found);
      const { message, status, listbox } = this.#ui;
      const groups = [];
      const options = [];
      const picks = suggestions.filter((s) => s.trim() !== q).slice(0, MAX_SUGGESTIONS);
      if (picks.length) {
        groups.push(this.#group("s", L.suggestions, picks.map((text) => {
          const el = h("div", { class: "sugg", part: "option suggestion" }, ...this.#suggestionText(typed, text));
          el.addEventListener("click", () => { this.#ui.input.value = text; this.#submit(); });
          options.push({ el, kind: "suggestion", value: text });
          return el;
        })));
      }
      const hits = Array.isArray(found.results) ? found.results : [];
      // No passage holds the words: the hits are only near in meaning, and the label says so.
      const relatedOnly = found.keyword_matches === 0;
      if (hits.length) {
        groups.push(this.#group("r", relatedOnly ? L.related : L.results, hits.map((hit) => {
          const link = this.#docLink(hit.doc_id, hit.passage_id, hit.start, hit.end, q, { part: "result-link", tabindex: "-1" },
            h("span", { class: "title", part: "result-title", lang: hit.lang === "zh" ? "zh-CN" : "en" }, hit.title || ""),
            hit.heading ? h("span", { class: "heading" }, hit.heading) : null,
            h("span", { class: "snip", part: "snippet", lang: hit.lang === "zh" ? "zh-CN" : "en" }, ...snippetNodes(hit.snippet)),
            h("span", { class: "meta" }, [hit.source, formatDate(hit.date, L), hit.district].filter(Boolean).join(" · ")));
          const el = h("div", { part: "option result", "data-passage-id": hit.passage_id }, link);
          options.push({ el, kind: "result", link });
          return el;
        })));
      }
      this.#fillList(groups, options);
      message.hidden = hits.length > 0;
      message.replaceChildren(hits.length ? "" : L.none(q));
      status.textContent = !hits.length ? L.none(q) : relatedOnly ? L.relatedOnly : L.count(found.total ?? hits.length);
      this.#expand(true);
    }

    #suggestionText(typed, text) {
      if (!typed || !text.toLowerCase().startsWith(typed.toLowerCase())) return [text];
      return [text.slice(0, typed.length), h("mark", {}, text.slice(typed.length))];
    }

    #group(key, label, items) {
      items.forEach((el) => { el.setAttribute("role", "option"); el.setAttribute("aria-selected", "false"); });
      return h("div", { role: "group", "aria-labelledby": `jm-g-${key}` }, h("div", { class: "group", id: `jm-g-${key}`, role: "presentation" }, label), ...items);
    }

    #fillList(groups, options = []) {
      options.forEach((o, i) => {
        o.el.id = `jm-option-${i}`;
        o.el.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
      });
      this.#ui.listbox.replaceChildren(...groups);
      this.#options = options;
      this.#active = -1;
      this.#ui.input.removeAttribute("aria-activedescendant");
    }

    #showAnswer(body) {
      const L = this.#labelsFor(body);
      const { answer } = this.#ui;
      const citations = Array.isArray(body.citations) ? body.citations : [];
      const byNumber = new Map(citations.map((c) => [Number(c.n), c]));
      const evidenceZh = citations.some((c) => hasCjk(c.quote));
      const q = body.question || this.#asked || "";
      const cite = (n) => {
        const c = byNumber.get(Number(n));
        if (!c) return `[${n}]`;
        return this.#docLink(c.doc_id, c.passage_id, c.start, c.end, q,
          { class: "cite", part: "citation", "aria-label": L.cite(c.n), "data-n": c.n }, `[${c.n}]`);
      };
      const children = [h("h2", { part: "answer-title" }, L.answer)];
      if (!body.answered) {
        children.push(h("p", { class: "atext", "data-testid": "no-answer" }, L.noAnswer));
      } else {
        // Optional English lines for an English question answered from Chinese quotes.
        const english = (Array.isArray(body.english) ? body.english : [])
          .map((line, i) => (typeof line === "string" ? { n: citations[i]?.n, text: line } : line || {}))
          .filter((line) => line.text);
        if (english.length) {
          children.push(h("ul", { class: "eng", part: "english", lang: "en", "aria-label": L.english },
            ...english.map((line) => h("li", {}, String(line.text), line.n != null ? cite(line.n) : null))));
        }
        const pieces = String(body.answer || "").split(/\s*\[(\d+)\]/);
        children.push(h("p", { class: "atext", part: "answer-text", lang: evidenceZh ? "zh-CN" : "en" },
          ...pieces.map((piece, i) => (i % 2 ? cite(piece) : piece))));
        children.push(h("p", { class: "note" }, L.note + (this.#lang === "en" && evidenceZh ? " " + L.evidenceZh : "")));
        children.push(h("h3", {}, L.sources), h("ol", { part: "sources" }, ...citations.map((c) => h("li", {},
          h("span", { class: "n", "aria-hidden": "true" }, String(c.n)),
          h("span", {}, this.#docLink(c.doc_id, c.passage_id, c.start, c.end, q, { part: "source", lang: evidenceZh ? "zh-CN" : "en" }, c.title || ""),
            h("q", { lang: evidenceZh ? "zh-CN" : "en" }, c.quote || ""))))));
      }
      answer.dataset.answered = String(!!body.answered);
      answer.replaceChildren(...children);
      answer.hidden = false;
      this.#expand(true);
    }

    // <endpoint>/doc/<doc_id>?q=…&hl=<start>-<end>#p-<passage_id>, in a new tab: our document
    // page marks the span and scrolls to it.
    #docLink(docId, passageId, start, end, q, attrs, ...children) {
      const url = new URL(`${this.#endpoint}/doc/${encodeURIComponent(docId || "")}`);
      if (q) url.searchParams.set("q", q);
      if (Number.isInteger(start) && Number.isInteger(end)) url.searchParams.set("hl", `${start}-${end}`);
      url.searchParams.set("lang", this.#lang);
      url.hash = `p-${passageId || ""}`;
      const link = h("a", { ...attrs, href: url.href, target: "_blank", rel: "noopener" }, ...children);
      link.addEventListener("click", (event) => {
        const kind = attrs.part === "citation" || attrs.part === "source" ? "citation" : "result";
        if (!this.#emit("jm-select", { kind, url: url.href, docId, passageId }, true)) event.preventDefault();
      });
      return link;
    }

    #emit(type, detail = {}, cancelable = false) {
      return this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
    }
  }

  customElements.define(TAG, JmSearch);
})();
