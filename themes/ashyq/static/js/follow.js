// E-mail follow (issue 14): a signed-in person follows a discussion or a state body by e-mail;
// "my proposals" lists the follows with a button to stop each. Signing in happens elsewhere
// (participate.js / egov.js announce it with the event "ashyq:signed-in").
(function () {
  "use strict";
  var sections = Array.prototype.slice.call(document.querySelectorAll("[data-follow]"));
  if (!sections.length) return;
  var lang = document.documentElement.lang;
  var token = null;

  function $(sel, el) { return (el || document).querySelector(sel); }

  function call(method, path, body) {
    var headers = { "Accept": "application/json", "Accept-Language": lang };
    var ready = Promise.resolve();
    if (method !== "GET") {
      ready = (token ? Promise.resolve(token) : fetch("/api/csrf", { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (d) { token = d.csrf_token; return token; }))
        .then(function (t) { headers["X-CSRFToken"] = t; headers["Content-Type"] = "application/json"; });
    }
    return ready.then(function () {
      return fetch(path, { method: method, headers: headers, credentials: "same-origin",
                           body: body === undefined ? undefined : JSON.stringify(body) });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "");
        return data;
      });
    });
  }

  function say(section, text, bad) {
    var status = $("[data-follow-status]", section);
    status.textContent = text || "";
    status.classList.toggle("bad", !!bad);
  }

  function listFollows(section, T) {
    var list = $("[data-follow-items]", section);
    call("GET", "/api/follows").then(function (data) {
      list.textContent = "";
      if (!data.follows.length) { say(section, T.none); return; }
      say(section, "");
      data.follows.forEach(function (item) {
        var li = document.createElement("li");
        var label = (T[item.target_type] || item.target_type) + " " + item.target_id;
        var link = document.createElement("a");
        link.href = item.target_type === "document"
          ? "/" + lang + "/discussions/" + encodeURIComponent(item.target_id) + "/"
          : "/" + lang + "/administrators/" + encodeURIComponent(item.target_id) + "/";
        link.textContent = label;
        li.appendChild(link);
        if (!item.confirmed) li.appendChild(document.createTextNode(" (" + T.waiting + ")"));
        var stop = document.createElement("button");
        stop.type = "button";
        stop.className = "button small secondary";
        stop.textContent = T.stop;
        stop.addEventListener("click", function () {
          stop.disabled = true;
          call("POST", "/api/follows/stop", { target_type: item.target_type, target_id: item.target_id })
            .then(function () { say(section, T.stopped); listFollows(section, T); })
            .catch(function (error) { stop.disabled = false; say(section, error.message || T.failed, true); });
        });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(stop);
        list.appendChild(li);
      });
    }).catch(function (error) { say(section, error.message || T.failed, true); });
  }

  function show(signedIn) {
    sections.forEach(function (section) {
      var T = JSON.parse(section.getAttribute("data-i18n"));
      var form = $("[data-follow-form]", section);
      var hint = $("[data-follow-signed-out]", section);
      if (section.hasAttribute("data-follow-list")) {
        section.hidden = !signedIn;
        if (signedIn) listFollows(section, T);
        return;
      }
      section.hidden = false;
      form.hidden = !signedIn;
      if (hint) hint.hidden = signedIn;
    });
  }

  sections.forEach(function (section) {
    var form = $("[data-follow-form]", section);
    if (!form) return;
    var T = JSON.parse(section.getAttribute("data-i18n"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("button[type=submit]", form);
      button.disabled = true;
      call("POST", "/api/follows", {
        target_type: section.getAttribute("data-target-type"),
        target_id: section.getAttribute("data-target-id"),
        email: form.elements.email.value, lang: lang
      }).then(function (data) {
        button.disabled = false;
        say(section, data.confirm_sent ? T.sent : T.already);
      }).catch(function (error) {
        button.disabled = false;
        say(section, error.message || T.failed, true);
      });
    });
  });

  document.addEventListener("ashyq:signed-in", function (event) {
    token = (event.detail && event.detail.csrf_token) || null;
    show(true);
  });
  document.addEventListener("ashyq:signed-out", function () { token = null; show(false); });
  call("GET", "/api/me").then(function (me) { show(!!me.signed_in); })
    .catch(function () { /* the service is down: the form stays hidden */ });
})();
