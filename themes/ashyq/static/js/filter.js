// Progressive enhancement: the discussions list reads fine without it; with it, filters show.
(function () {
  var form = document.getElementById("filters");
  if (!form) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.docs tbody tr[data-status]"));
  var count = form.querySelector(".count");
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
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  apply();
})();
