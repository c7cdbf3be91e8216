// kb docs site: theme and language toggles, copy buttons, `/` to search, Pagefind search (loaded on first use).
(function () {
  "use strict";
  var body = document.body;
  var html = document.documentElement;
  var root = body.getAttribute("data-root") || "";
  var lang = html.getAttribute("data-lang") || "en";
  var bilingual = html.getAttribute("data-page-lang") === "both";

  // A runbook's page in Chinese (boot.js chose it): its links lead to the Chinese pages, its labels are Chinese.
  if (bilingual && lang === "zh") {
    ["href", "placeholder", "aria-label"].forEach(function (name) {
      document.querySelectorAll("[data-zh-" + name + "]").forEach(function (element) {
        element.setAttribute(name, element.getAttribute("data-zh-" + name));
      });
    });
  }

  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* storage off */ } }

  var themeButton = document.getElementById("theme-toggle");
  if (themeButton) {
    themeButton.addEventListener("click", function () {
      var html = document.documentElement;
      var current = html.getAttribute("data-theme") ||
        (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
      var next = current === "dark" ? "light" : "dark";
      html.setAttribute("data-theme", next);
      store("kb-theme", next);
    });
  }
  var langToggle = document.getElementById("lang-toggle");
  if (langToggle) {
    langToggle.addEventListener("click", function () {
      store("kb-lang", bilingual ? (lang === "zh" ? "en" : "zh") : langToggle.getAttribute("data-lang-target"));
      langToggle.href = langToggle.href.split("#")[0] + location.hash;  // the same section in the other language
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) return;
    var code = button.parentNode.querySelector("pre");
    var text = code ? code.innerText : "";
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { button.textContent = "Select and copy"; });
    } else {
      var range = document.createRange(); range.selectNodeContents(code);
      var selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
      button.textContent = "Press Ctrl+C";
    }
  });

  var input = document.getElementById("search-input");
  var panel = document.getElementById("search-panel");
  var list = document.getElementById("search-results");
  var componentFilter = document.getElementById("filter-component");
  var severityFilter = document.getElementById("filter-severity");
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    if (event.key === "/" && !typing && input) { event.preventDefault(); input.focus(); }
    if (event.key === "Escape" && panel && !panel.hidden) { panel.hidden = true; input.focus(); }
  });
  if (!input) return;

  // A Chinese page searches the Chinese index and the English one: the Chinese index holds only what is
  // written in Chinese (see site/templates/record.html), so an English error typed on a Chinese page is found
  // in the English index, and its result leads to the same runbook's page in Chinese. A second copy of
  // pagefind.js (its own module, by a different URL) is the English search; Pagefind picks its index by the
  // page's <html lang> when it starts, so that copy starts while the attribute says English, put back at once.
  var chinese = lang === "zh";
  var indexes = null;
  var loading = null;
  var basePath = "";
  function instance(base, query, language) {
    return import(new URL("pagefind/pagefind.js" + query, base).href).then(function (module) {
      return module.options({ baseUrl: basePath }).then(function () {
        var html = document.documentElement, own = html.getAttribute("lang");
        if (language) html.setAttribute("lang", language);
        var started = module.init();
        html.setAttribute("lang", own);
        return started;
      }).then(function () { return module; });
    });
  }
  function load() {
    if (!loading) {
      var base = new URL(root || "./", location.href);
      basePath = base.pathname;
      var wanted = [instance(base, "", null)];
      if (chinese) wanted.push(instance(base, "?lang=en", "en"));
      loading = Promise.all(wanted).then(function (modules) {
        indexes = modules;
        return modules[0].filters();
      }).then(fillFilters).catch(function (error) {
        loading = null;
        showMessage(location.protocol === "file:" ? "Search needs the site served over http(s)." : "Search failed to load.");
        throw error;
      });
    }
    return loading;
  }
  // Results of every index, best first; an English result on a Chinese page opens its runbook in Chinese.
  function merged(searches) {
    var results = [];
    searches.forEach(function (search, which) {
      if (!search) return;
      search.results.forEach(function (result) { results.push({ result: result, english: which > 0 }); });
    });
    results.sort(function (a, b) { return b.result.score - a.result.score; });
    return results;
  }
  // Only runbook pages are indexed; the Chinese index's records are already `…html?lang=zh` (kb_site.pages).
  function localUrl(url, english) {
    return english && url.indexOf("?") < 0 ? url + "?lang=zh" : url;
  }
  function fillFilters(filters) {
    [[componentFilter, "component"], [severityFilter, "severity"]].forEach(function (pair) {
      var select = pair[0]; var values = (filters && filters[pair[1]]) || {};
      if (!select || select.options.length > 1) return;
      Object.keys(values).sort().forEach(function (value) {
        var option = document.createElement("option");
        option.value = value; option.textContent = value + " (" + values[value] + ")";
        select.appendChild(option);
      });
    });
  }
  function showMessage(text) {
    panel.hidden = false;
    list.textContent = "";
    var item = document.createElement("li"); item.textContent = text; list.appendChild(item);
  }
  // The Chinese index holds each word followed by its endings, spaced (熔断 断): see kb_site.search.
  // An excerpt shows the text as indexed, so the endings are dropped and the words joined again.
  var CJK = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$/;
  function tidyChinese(text) {
    var out = "", last = "";
    text.split(/\s+/).forEach(function (word) {
      if (!word) return;
      var cjk = CJK.test(word);
      if (cjk && last && CJK.test(last) && word !== last && last.slice(-word.length) === word) return;
      out += (out && !(cjk && CJK.test(last)) ? " " : "") + word;
      last = word;
    });
    return out;
  }
  var generation = 0;
  function run() {
    var query = input.value.trim();
    var mine = ++generation;
    if (!query) { panel.hidden = true; return; }
    load().then(function () {
      var filters = {};
      if (componentFilter.value) filters.component = componentFilter.value;
      if (severityFilter.value) filters.severity = severityFilter.value;
      return Promise.all(indexes.map(function (index) {
        return index.debouncedSearch(query, { filters: filters }, 150);
      }));
    }).then(function (searches) {
      if (mine !== generation || searches.every(function (search) { return !search; })) return null;
      var seen = {};
      // Enough results fetched to fill the list when the same runbook comes from both indexes.
      var picked = merged(searches).slice(0, 16).map(function (found) {
        return found.result.data().then(function (data) {
          data.url = localUrl(data.url, found.english);
          data.english = found.english;
          return data;
        });
      });
      // One entry per page, where its best result ranks; the Chinese result's title and excerpt when there is one.
      return Promise.all(picked).then(function (items) {
        var order = [];
        items.forEach(function (data) {
          if (!seen[data.url]) { order.push(data.url); seen[data.url] = data; }
          else if (seen[data.url].english && !data.english) seen[data.url] = data;
        });
        return order.slice(0, 8).map(function (url) { return seen[url]; });
      });
    }).then(function (items) {
      if (!items || mine !== generation) return;
      panel.hidden = false;
      list.textContent = "";
      if (!items.length) { showMessage("No results"); return; }
      items.forEach(function (data) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = data.url; link.textContent = (data.meta && data.meta.title) || data.url;
        var excerpt = document.createElement("p");
        var text = (data.excerpt || "").replace(/<[^>]*>/g, "");
        excerpt.textContent = chinese && !data.english ? tidyChinese(text) : text;
        item.appendChild(link); item.appendChild(excerpt); list.appendChild(item);
      });
    }).catch(function () { /* message already shown */ });
  }
  input.addEventListener("focus", function () { load().catch(function () {}); });
  input.addEventListener("input", run);
  componentFilter.addEventListener("change", run);
  severityFilter.addEventListener("change", run);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { var first = list.querySelector("a"); if (first) { event.preventDefault(); location.href = first.href; } }
  });
})();
