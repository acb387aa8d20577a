// The root page sends the reader to /kk/ or /ru/ by the browser's languages (Kazakh by default).
(function () {
  var langs = navigator.languages || [navigator.language || ""];
  for (var i = 0; i < langs.length; i++) {
    var l = String(langs[i]).slice(0, 2).toLowerCase();
    if (l === "kk" || l === "ru") { location.replace("/" + l + "/"); return; }
  }
  location.replace("/kk/");
})();
