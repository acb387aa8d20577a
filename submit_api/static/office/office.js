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
  var Api = window.AshyqApi; // /theme/js/api.js, shared with the public pages
  var api = Api.client(lang, T.failed).request;

  function say(text, bad) { Api.say(box.querySelector("[data-signin-status]"), text, bad); }

  // NCALayer (/theme/js/ncalayer.js): any authentication key, an individual's or, for staff,
  // a legal entity's (R8, R13).
  function ncalayerSign(xml) {
    return window.AshyqNcaLayer.sign(box.getAttribute("data-ncalayer"), xml,
      { lang: lang, extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"], messages: T });
  }

  function signIn(demoPerson, button) {
    say(T.signing);
    Api.busy(button, T.sending, function () { return api("GET", "/api/auth/challenge").then(function (data) {
      if (demoPerson) {
        return api("POST", "/api/auth/demo-sign", { challenge: data.challenge, person: demoPerson })
          .then(function (signed) { return signed.signed_xml; });
      }
      return ncalayerSign(data.challenge);
    }).then(function (signedXml) {
      return api("POST", "/api/auth/eds", { signed_xml: signedXml });
    }); }).then(function (data) {
      if (!data) return;
      say(T.signed_in);
      window.location.assign(window.location.pathname + "?lang=" + encodeURIComponent(lang));
    }).catch(function (error) { say(error.message, true); });
  }

  if (box) {
    $all("[data-action=sign-in]", box).forEach(function (b) {
      b.addEventListener("click", function () { signIn(null, b); });
    });
    $all("[data-action=demo-sign-in]", box).forEach(function (b) {
      b.addEventListener("click", function () {
        signIn(parseInt(box.querySelector("[data-demo-person]").value, 10), b);
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

  // --- every form: one submission at a time, the button says it is sending (issue 14) -----
  // (after the confirmation handler: a cancelled confirmation sends nothing)
  var sending = document.body.getAttribute("data-sending-label");
  $all("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.getAttribute("data-sending") === "true") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "true");
      $all("button[type=submit]", form).forEach(function (b) {
        b.setAttribute("aria-busy", "true");
        if (sending) b.textContent = sending;
      });
    });
  });

  // --- after a refused form, put the reader on the explanation ----------------------------
  var problem = document.getElementById("problem");
  if (problem) problem.focus();
})();
