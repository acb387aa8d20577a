// Site search on /{lang}/search/: Pagefind's own index of the page's language (it reads
// <html lang>), in parts (generator/search.py). Loaded on the search page only; no framework. The form works without this
// script (a GET to this page); the script runs the query in ?q= and each new one in place.
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  var list = document.querySelector("[data-search-results]");
  var status = document.querySelector("[data-search-status]");
  if (!form || !list || !status) return;
  var input = form.querySelector("input[name=q]");
  var LIMIT = 20;
  var engine = null;
  var latest = 0;

  // The index comes in parts (/pagefind/parts.json): the first is loaded, the others merged
  // into it, so one search covers them all.
  function pagefind() {
    if (!engine) {
      engine = fetch("/pagefind/parts.json")
        .then(function (response) {
          if (!response.ok) throw new Error("no search index");
          return response.json();
        })
        .then(function (found) {
          var parts = found.parts.map(function (key) { return "/pagefind/" + key + "/"; });
          return import(parts[0] + "pagefind.js").then(function (pf) {
            return Promise.resolve(pf.options({ excerptLength: 24 }))
              .then(function () {
                return Promise.all(parts.slice(1).map(function (part) {
                  return pf.mergeIndex(part);
                }));
              })
              .then(function () {
                pf.init();
                return pf;
              });
          });
        })
        .catch(function (error) {
          engine = null; // a site's first index may follow its pages by a minute: try again
          throw error;
        });
    }
    return engine;
  }

  // Pagefind's excerpt is escaped text with <mark> around the hits: keep exactly that.
  function excerpt(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var p = document.createElement("p");
    tpl.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (data) {
      if (!/^\/[^/]/.test(data.url)) return; // this site's pages only
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = (data.meta && data.meta.title) || data.url;
      li.appendChild(a);
      li.appendChild(excerpt(data.excerpt || ""));
      list.appendChild(li);
    });
  }

  function run(query) {
    var ticket = ++latest;
    query = query.trim();
    list.textContent = "";
    if (!query) {
      status.textContent = "";
      return;
    }
    status.textContent = status.dataset.searching;
    pagefind()
      .then(function (pf) { return pf.search(query); })
      .then(function (search) {
        return Promise.all(search.results.slice(0, LIMIT).map(function (r) { return r.data(); }))
          .then(function (data) { return { total: search.results.length, data: data }; });
      })
      .then(function (found) {
        if (ticket !== latest) return;
        status.textContent = found.total
          ? status.dataset.found + " " + found.total : status.dataset.none;
        show(found.data);
      })
      .catch(function () {
        if (ticket === latest) status.textContent = status.dataset.failed;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    window.history.replaceState(null, "", url);
    run(input.value);
  });

  var query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  run(query);
})();
