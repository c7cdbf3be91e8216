// The home page's paste box. Served by `kb serve`, it asks POST /v1/match on the same origin; anywhere else
// (a static host, file://) it loads the offline matcher (matcher.js, re2js, the exported data) on first use.
(function () {
  "use strict";
  var form = document.getElementById("paste-form");
  if (!form) return;
  var input = document.getElementById("paste-input");
  var out = document.getElementById("paste-results");
  var mode = document.getElementById("paste-mode");
  var body = document.body;
  var root = new URL(body.getAttribute("data-root") || "./", location.href);
  var zh = document.documentElement.getAttribute("data-lang") === "zh";
  var words = zh
    ? { offline: "离线模式：在浏览器中匹配。", online: "由 kb serve 匹配。", none: "没有匹配的运行手册。", why: "匹配原因", text: "文本相似", loading: "加载中…", failed: "离线匹配器加载失败。", lines: "行" }
    : { offline: "Offline mode: matched in your browser.", online: "Matched by kb serve.", none: "No runbook matched.", why: "Why it matched", text: "text similarity", loading: "Loading…", failed: "The offline matcher failed to load.", lines: "line" };

  function script(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = new URL(src, root).href; tag.onload = resolve;
      tag.onerror = function () { reject(new Error("cannot load " + src)); };
      document.head.appendChild(tag);
    });
  }
  var offline = null;
  function offlineMatcher() {
    if (!offline) {
      offline = Promise.all([script("assets/vendor/re2js.js"), script("assets/matcher.js"), script("assets/kb-offline-data.js")])
        .then(function () { return new window.KBMatcher(window.KB_OFFLINE, window.RE2JS.RE2JS); });
      offline.catch(function () { offline = null; });
    }
    return offline;
  }
  // kb serve mounts the site at `/` and the API at `/v1`; a static host answers 404/405 and we go offline.
  var served = location.protocol === "http:" || location.protocol === "https:" ? null : false;
  function online(text) {
    if (served === false) return Promise.resolve(null);
    return fetch(new URL("v1/match", root).href, {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ text: text, limit: 5 }),
    }).then(function (response) {
      var json = (response.headers.get("content-type") || "").indexOf("application/json") !== -1;
      if (!response.ok || !json) { served = false; return null; }
      served = true;
      return response.json();
    }, function () { served = false; return null; });
  }
  function offlineReport(text) {
    return offlineMatcher().then(function (matcher) {
      var report = matcher.match(text, 5), shown = window.KB_OFFLINE.runbooks;
      return { results: report.results.map(function (r) {
        var rb = shown[r.id] || {};
        var evidence = r.evidence.slice();
        if (r.terms.length) evidence.push({ signature: "text", weight: Math.round(r.bm25 * 1000) / 1000, matched: r.terms, lines: [] });
        return { id: r.id, title: (zh && rb.title_zh) || rb.title || r.id, score: Math.round(r.score * 1000) / 1000,
          confidence: r.confidence, evidence: evidence, summary: (zh && rb.summary_zh) || rb.summary || "",
          commands: r.commands };
      }) };
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(report, how) {
    out.textContent = "";
    mode.textContent = how === "online" ? words.online : words.offline;
    out.setAttribute("data-mode", how);
    if (!report.results.length) { out.appendChild(el("p", "", words.none)); return; }
    var list = el("ol", "results");
    report.results.forEach(function (r) {
      var item = el("li", "result");
      item.setAttribute("data-id", r.id);
      var head = el("h3");
      var link = el("a", "", r.title);
      link.href = new URL("runbooks/" + encodeURIComponent(r.id) + ".html" + (zh ? "?lang=zh" : ""), root).href;
      head.appendChild(link);
      item.appendChild(head);
      var meta = el("p", "meta");
      meta.appendChild(el("span", "badge confidence confidence-" + r.confidence, r.confidence));
      meta.appendChild(el("code", "", r.id));
      meta.appendChild(el("span", "muted", "score " + r.score));
      item.appendChild(meta);
      if (r.summary) item.appendChild(el("p", "", r.summary));
      if (r.evidence && r.evidence.length) {
        item.appendChild(el("strong", "", words.why));
        var ev = el("ul", "evidence");
        r.evidence.forEach(function (e) {
          var label = e.signature === "text" ? words.text : e.signature;
          var lines = e.lines && e.lines.length ? " (" + words.lines + " " + e.lines.join(", ") + ")" : "";
          ev.appendChild(el("li", "", "+" + e.weight + " " + label + ": " + (e.matched || []).join(", ") + lines));
        });
        item.appendChild(ev);
      }
      ["diagnosis", "fix"].forEach(function (part) {
        var commands = (r.commands && r.commands[part]) || [];
        if (!commands.length) return;
        var wrap = el("div", "code");
        var pre = el("pre"); pre.tabIndex = 0; pre.appendChild(el("code", "", commands.join("\n")));
        var copy = el("button", "copy", "Copy"); copy.type = "button"; copy.setAttribute("aria-label", "Copy to clipboard");
        wrap.appendChild(copy); wrap.appendChild(pre);
        item.appendChild(el("p", "muted", part));
        item.appendChild(wrap);
      });
      list.appendChild(item);
    });
    out.appendChild(list);
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    mode.textContent = words.loading;
    online(text).then(function (report) {
      if (report) return show(report, "online");
      return offlineReport(text).then(function (r) { show(r, "offline"); });
    }).catch(function () { mode.textContent = words.failed; });
  });
  input.addEventListener("focus", function () { if (served !== true) offlineMatcher().catch(function () {}); }, { once: true });
  window.kbOffline = { matcher: offlineMatcher };
})();
