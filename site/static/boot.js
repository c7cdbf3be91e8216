// Runs before the page paints: the saved theme, and the saved language (go to this page's other version).
(function () {
  var root = document.documentElement;
  try {
    var theme = localStorage.getItem("kb-theme");
    if (theme === "light" || theme === "dark") root.setAttribute("data-theme", theme);
    var lang = localStorage.getItem("kb-lang");
    var page = root.getAttribute("data-page-lang");
    var alt = document.querySelector('link[rel="alternate"][hreflang]');
    if (lang && page && lang !== page && alt) location.replace(alt.href + location.hash);
  } catch (e) { /* storage may be off (private mode, file://); defaults apply */ }
})();
