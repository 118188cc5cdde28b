// Progressive enhancement for the server-rendered pages; everything works without it.
// - suggestions while typing (/api/suggest), as an ARIA combobox
// - filters that apply as soon as they change
// - on a document page, the passage named in the URL fragment lit up and centred
// Server text only ever goes into the page through textContent.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var DEBOUNCE_MS = 120;

  function message(name, n) {
    var text = document.body.getAttribute("data-msg-" + name) || "";
    return text.replace("{n}", String(n));
  }

  function setupSuggestions(form) {
    var input = form.querySelector("input[role=combobox]");
    var list = form.querySelector("[role=listbox]");
    var status = form.querySelector("[data-suggest-status]");
    if (!input || !list) return;
    var timer = 0;
    var controller = null;
    var items = [];
    var active = -1;
    var composing = false;
    var lastAsked = null;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function choose(text) {
      input.value = text;
      close();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }

    function render(typed, suggestions) {
      close();
      if (!suggestions.length) return;
      suggestions.forEach(function (text, i) {
        var li = document.createElement("li");
        li.id = "suggestion-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-value", text);
        if (text.toLowerCase().indexOf(typed.toLowerCase()) === 0) {
          li.appendChild(document.createTextNode(text.slice(0, typed.length)));
          var rest = document.createElement("mark");
          rest.textContent = text.slice(typed.length);
          li.appendChild(rest);
        } else {
          li.textContent = text;
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep focus in the box
          choose(text);
        });
        list.appendChild(li);
        items.push(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (status) status.textContent = message("suggestions-count", suggestions.length);
    }

    function fetchSuggestions() {
      var typed = input.value;
      if (typed === lastAsked) return;
      lastAsked = typed;
      if (!typed.trim()) { close(); return; }
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      var url = "/api/suggest?limit=8&q=" + encodeURIComponent(typed);
      fetch(url, { signal: controller ? controller.signal : undefined, headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) {
          if (input.value === typed && document.activeElement === input) render(typed, data.suggestions || []);
        })
        .catch(function () { /* aborted or offline: no suggestions */ });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    }

    input.addEventListener("compositionstart", function () { composing = true; });
    input.addEventListener("compositionend", function () { composing = false; schedule(); });
    input.addEventListener("input", function () { if (!composing) schedule(); });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      if (event.isComposing || composing) return;  // Enter picks an IME candidate, not a suggestion
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(items[active].getAttribute("data-value"));
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
  }

  function setupFilters(form) {
    var fields = form.querySelectorAll("[data-filters] select, [data-filters] input");
    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("change", function () {
        if (field.checkValidity && !field.checkValidity()) { field.reportValidity(); return; }
        if (form.querySelector("input[name=q]").value.trim()) form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    });
  }

  function highlightPassage() {
    var body = document.querySelector("[data-article-body]");
    if (!body) return;
    Array.prototype.forEach.call(body.querySelectorAll(".seg.is-target"), function (seg) {
      seg.classList.remove("is-target");
    });
    var hash = window.location.hash;
    if (hash.indexOf("#p-") !== 0) return;
    var id = decodeURIComponent(hash.slice(3));
    var selector = '.seg[data-p~="' + (window.CSS && CSS.escape ? CSS.escape(id) : id) + '"]';
    var segments = body.querySelectorAll(selector);
    Array.prototype.forEach.call(segments, function (seg) { seg.classList.add("is-target"); });
    var first = body.querySelector("mark.quote") || segments[0];
    if (first) first.scrollIntoView({ block: "center", behavior: "instant" });
  }

  function setupShortcut() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      var box = document.getElementById("q");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-search-form]"), function (form) {
      setupSuggestions(form);
      setupFilters(form);
    });
    setupShortcut();
    highlightPassage();
    window.addEventListener("hashchange", highlightPassage);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
