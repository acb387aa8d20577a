// Sign-in with eGov mobile / eGov Business (R13), beside NCALayer.
// Phones: the eGov path comes first, with buttons that open the app (deep links); NCALayer,
// which runs only on computers, is not offered. Computers: a QR code to scan in the app.
// The server hands the app the same one-time challenge as NCALayer's and checks the signature
// the same way; this page polls until it is signed, then tells participate.js
// (event "ashyq:signed-in" with the new CSRF token).
(function () {
  "use strict";
  var panels = Array.prototype.slice.call(document.querySelectorAll("[data-egov]"));
  if (!panels.length) return;
  var lang = document.documentElement.lang;
  var phone = window.matchMedia("(pointer: coarse)").matches ||
    /Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent);

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }

  $all("[data-phone-only]").forEach(function (el) { el.hidden = !phone; });
  $all("[data-computer-only]").forEach(function (el) { el.hidden = phone; });

  function post(path, token) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Accept-Language": lang, "X-CSRFToken": token }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "");
          error.status = response.status;
          throw error;
        }
        data.httpStatus = response.status;
        return data;
      });
    });
  }

  function csrf() {
    return fetch("/api/csrf", { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(function (d) { return d.csrf_token; });
  }

  panels.forEach(function (panel) {
    // Computers: NCALayer first, the eGov QR code after it; phones: eGov mobile first.
    var nca = panel.nextElementSibling;
    if (!phone && nca && nca.querySelector("[data-action=sign-in]")) panel.parentNode.insertBefore(nca, panel);
    var root = panel.closest("[data-participation]");
    var T = root ? JSON.parse(root.getAttribute("data-i18n")) : {};
    var button = $("[data-action=egov-start]", panel);
    var status = $("[data-egov-status]", panel);
    var qr = $("[data-egov-qr]", panel);
    var links = $all("[data-egov-link]", panel);
    var timer = null, deadline = 0, token = null, busy = false;

    function say(text, bad) {
      status.textContent = text || "";
      status.classList.toggle("bad", !!bad);
    }

    function reset() {
      if (timer) clearTimeout(timer);
      timer = null;
      qr.hidden = true;
      links.forEach(function (a) { a.hidden = true; a.removeAttribute("href"); });
      button.hidden = false;
      button.disabled = false;
    }

    function poll() {
      timer = null;
      if (busy) return;
      if (Date.now() > deadline) { reset(); say(T.egov_expired, true); return; }
      busy = true;
      post("/api/auth/egov/poll", token).then(function (data) {
        busy = false;
        if (data.httpStatus === 202) {
          say(data.status === "fetched" ? T.egov_fetched : T.egov_waiting);
          timer = setTimeout(poll, 2000);
          return;
        }
        reset();
        say("");
        document.dispatchEvent(new CustomEvent("ashyq:signed-in", { detail: data }));
      }).catch(function (error) {
        busy = false;
        reset();
        say(error.message || T.failed, true);
      });
    }

    button.addEventListener("click", function () {
      if (timer) clearTimeout(timer);
      timer = null;
      button.disabled = true;
      say(T.egov_starting);
      csrf().then(function (t) { token = t; return post("/api/auth/egov/start", token); })
        .then(function (data) {
          deadline = Date.now() + data.expires_in * 1000;
          links.forEach(function (a) { a.href = data.links[a.getAttribute("data-egov-link")]; });
          if (phone) {
            links.forEach(function (a) { a.hidden = false; });
            button.hidden = true;
            say(T.egov_open);
            links[0].focus();
          } else {
            $("[data-egov-qr-img]", qr).src = data.qr;
            qr.hidden = false;
            button.disabled = false;
            say(T.egov_scan);
          }
          timer = setTimeout(poll, (data.poll_every || 2) * 1000);
        }).catch(function (error) {
          button.disabled = false;
          say(error.message || T.failed, true);
        });
    });

    // Coming back from the app: ask at once.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && timer) { clearTimeout(timer); poll(); }
    });
  });
})();
