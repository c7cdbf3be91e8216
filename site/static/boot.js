// Runs before the page paints: the saved theme, and the language. A page of one language goes to its other
// version when the reader chose the other one; a runbook's page holds both and shows the one `?lang=` asks
// for, else the saved one (site.js puts the Chinese links and labels in place).
(function () {
  var root = document.documentElement;
  var page = root.getAttribute("data-page-lang");
  var asked = /[?&]lang=(en|zh)(?:&|$)/.exec(location.search);
  var saved = null;
  try {
    var theme = localStorage.getItem("kb-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
    saved = localStorage.getItem("kb-lang");
  } catch (e) { /* storage may be off (private mode, file://); defaults apply */ }
  if (page === "both") {
    // A link that asks for a language is the reader's choice from here on, on every page.
    if (asked && asked[1] !== saved) {
      try { localStorage.setItem("kb-lang", asked[1]); } catch (e) { /* storage off */ }
    }
    if ((asked ? asked[1] : saved) === "zh") {
      root.setAttribute("data-lang", "zh");
      root.setAttribute("lang", "zh-CN");
      document.title = root.getAttribute("data-zh-title") || document.title;
    }
    return;
  }
  var alt = document.querySelector('link[rel="alternate"][hreflang]');
  if (saved && page && saved !== page && alt) location.replace(alt.href + location.hash);
})();
