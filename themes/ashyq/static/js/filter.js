// Progressive enhancement: the discussions list reads fine without it; with it, filters show.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.docs tbody tr[data-status]"));
  var count = form.querySelector(".count");
  var more = form.querySelector(".more");
  var link = more && more.querySelector("a");
  var hint = form.querySelector(".hint");
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = ["status", "type", "admin", "year"].every(function (key) {
        var want = form.elements[key].value;
        return !want || row.getAttribute("data-" + key) === want;
      });
      row.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = count.getAttribute("data-template").replace("{n}", shown).replace("{total}", rows.length);
    if (more) { // a bounded list: the state body's page has all of its discussions
      var chosen = form.elements.admin.selectedOptions[0];
      var total = chosen && chosen.value && chosen.getAttribute("data-total");
      more.hidden = !total;
      if (total) {
        link.href = more.getAttribute("data-base") + chosen.value + "/";
        link.textContent = link.getAttribute("data-template").replace("{n}", total);
      }
      // another filter alone: say that it sees only the listed rows
      hint.hidden = !!total || !["status", "type", "year"].some(function (key) {
        return form.elements[key].value;
      });
    }
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  apply();
})();
