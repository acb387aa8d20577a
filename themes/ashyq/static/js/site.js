// Every page: the menu button of the compact phone header. Without this script the button is
// a link to #site-menu and CSS (:target) opens the menu; with it, a real toggle button.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-button]");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  button.setAttribute("role", "button");
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", function (event) {
    event.preventDefault();
    var open = !menu.classList.contains("open");
    menu.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    if (open) { var first = menu.querySelector("input, a"); if (first) first.focus(); }
  });
  button.addEventListener("keydown", function (event) {
    if (event.key === " ") { event.preventDefault(); button.click(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      menu.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
