// The staff office: sign-in with an electronic digital signature through NCALayer (R13; staff
// may use a legal entity's key), the grounds of paragraph 14 shown for a refusal (R15), a
// confirmation before revoking a role (R8). Every form also works without this script.
(function () {
  "use strict";
  var lang = document.documentElement.lang;

  function $all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }

  // --- sign-in ------------------------------------------------------------------------------
  var box = document.querySelector("[data-office-signin]");
  var T = box ? JSON.parse(box.getAttribute("data-i18n")) : {};
  var csrfToken = null;

  function say(text, bad) {
    var el = box.querySelector("[data-signin-status]");
    el.textContent = text || "";
    el.classList.toggle("bad", !!bad);
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json", "Accept-Language": lang };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    var ready = Promise.resolve();
    if (method !== "GET") {
      ready = (csrfToken ? Promise.resolve(csrfToken) : fetch("/api/csrf", { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (d) { csrfToken = d.csrf_token; return csrfToken; }))
        .then(function (token) { headers["X-CSRFToken"] = token; });
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    return ready.then(function () { return fetch(path, init); }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || T.failed);
        return data;
      });
    });
  }

  // NCALayer (/theme/js/ncalayer.js): any authentication key, an individual's or, for staff,
  // a legal entity's (R8, R13).
  function ncalayerSign(xml) {
    return window.AshyqNcaLayer.sign(box.getAttribute("data-ncalayer"), xml,
      { lang: lang, extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"], messages: T });
  }

  function signIn(demoPerson) {
    say(T.signing);
    api("GET", "/api/auth/challenge").then(function (data) {
      if (demoPerson) {
        return api("POST", "/api/auth/demo-sign", { challenge: data.challenge, person: demoPerson })
          .then(function (signed) { return signed.signed_xml; });
      }
      return ncalayerSign(data.challenge);
    }).then(function (signedXml) {
      return api("POST", "/api/auth/eds", { signed_xml: signedXml });
    }).then(function () {
      say(T.signed_in);
      window.location.assign(window.location.pathname + "?lang=" + encodeURIComponent(lang));
    }).catch(function (error) { say(error.message, true); });
  }

  if (box) {
    $all("[data-action=sign-in]", box).forEach(function (b) {
      b.addEventListener("click", function () { signIn(null); });
    });
    $all("[data-action=demo-sign-in]", box).forEach(function (b) {
      b.addEventListener("click", function () {
        signIn(parseInt(box.querySelector("[data-demo-person]").value, 10));
      });
    });
  }

  // --- moderation: the grounds of paragraph 14 and the words are for a refusal (R15) ---------
  $all("form[data-moderation]").forEach(function (form) {
    var grounds = form.querySelector("[data-grounds]");
    var text = form.querySelector("textarea[name=text]");
    function update() {
      var checked = form.querySelector("input[name=decision]:checked");
      var refuse = !!checked && checked.value === "refuse";
      grounds.hidden = !refuse;
      text.required = refuse;
    }
    $all("input[name=decision]", form).forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  // --- confirm before revoking ------------------------------------------------------------
  $all("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // --- after a refused form, put the reader on the explanation ----------------------------
  var problem = document.getElementById("problem");
  if (problem) problem.focus();
})();
