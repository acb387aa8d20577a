// Shared by the public pages (participate.js) and the staff office (office.js):
// one fetch helper with the CSRF token and the one JSON error shape, one status line `say`,
// and `busy`, the feedback every action gives (issue 14): the button is disabled and reads
// "sending…" while its request runs, so a double tap sends once; after a 429 it stays disabled
// for the Retry-After the server sent.
(function () {
  "use strict";

  function say(el, text, bad) {
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("bad", !!bad);
  }

  // client(lang, failedMessage): { request(method, path, body), setToken(t) }
  function client(lang, failed) {
    var token = null;

    function csrf() {
      if (token) return Promise.resolve(token);
      return fetch("/api/csrf", { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) { token = data.csrf_token; return token; });
    }

    function request(method, path, body) {
      var headers = { "Accept": "application/json", "Accept-Language": lang };
      var init = { method: method, headers: headers, credentials: "same-origin" };
      var ready = Promise.resolve();
      if (method !== "GET") {
        ready = csrf().then(function (t) { headers["X-CSRFToken"] = t; });
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body === undefined ? {} : body);
      }
      return ready.then(function () { return fetch(path, init); }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            var error = new Error(data.error || failed);
            error.status = response.status;
            error.code = data.errors && data.errors[0] && data.errors[0].code;
            error.retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
            throw error;
          }
          return data;
        });
      });
    }

    return { request: request, setToken: function (t) { token = t || null; } };
  }

  // busy(button, sendingLabel, work): runs work() once at a time for this button.
  function busy(button, sendingLabel, work) {
    if (!button) return work();
    if (button.getAttribute("aria-busy") === "true") return Promise.resolve(null);
    var label = button.innerHTML;
    button.setAttribute("aria-busy", "true");
    button.disabled = true;
    button.classList.add("sending");
    if (sendingLabel) button.textContent = sendingLabel;
    function done(error) {
      button.removeAttribute("aria-busy");
      button.classList.remove("sending");
      button.innerHTML = label;
      var wait = error && error.retryAfter ? error.retryAfter : 0;
      if (wait) {
        window.setTimeout(function () { button.disabled = false; }, wait * 1000);
      } else {
        button.disabled = false;
      }
    }
    var result;
    try { result = Promise.resolve(work()); } catch (e) { result = Promise.reject(e); }
    return result.then(function (value) { done(null); return value; },
      function (error) { done(error); throw error; });
  }

  window.AshyqApi = { say: say, client: client, busy: busy };
})();
