// Taking part in a discussion: sign-in with an electronic digital signature through NCALayer
// (R13), votes for/against (R11), proposals on a part (R14), "my proposals".
// The page reads fine without this script; it only adds the interactive parts.
(function () {
  "use strict";
  var root = document.querySelector("[data-participation]");
  if (!root) return;
  var T = JSON.parse(root.getAttribute("data-i18n"));
  var lang = document.documentElement.lang;
  var uid = root.getAttribute("data-uid");
  var open = root.getAttribute("data-status") === "open";
  var MAX = 1000; // R14
  var csrfToken = null;
  var me = { signed_in: false };

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }
  function say(el, text, bad) {
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("bad", !!bad);
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json", "Accept-Language": lang };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    var ready = Promise.resolve();
    if (method !== "GET") {
      ready = csrf().then(function (token) { headers["X-CSRFToken"] = token; });
      if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    return ready.then(function () { return fetch(path, init); }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || T.failed);
          error.status = response.status;
          error.code = data.errors && data.errors[0] && data.errors[0].code;
          throw error;
        }
        return data;
      });
    });
  }

  function csrf() {
    if (csrfToken) return Promise.resolve(csrfToken);
    return fetch("/api/csrf", { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (data) { csrfToken = data.csrf_token; return csrfToken; });
  }

  // NCALayer (ncalayer.js): an individual's authentication key (R13).
  function ncalayerSign(xml) {
    return window.AshyqNcaLayer.sign(root.getAttribute("data-ncalayer") || "wss://127.0.0.1:13579/",
      xml, { lang: lang, extKeyUsageOids: ["1.3.6.1.5.5.7.3.2", "1.2.398.3.3.4.1.1"], messages: T });
  }

  function signIn(useDemo) {
    var status = $("[data-signin-status]", root);
    say(status, T.signing_in);
    return api("GET", "/api/auth/challenge").then(function (data) {
      if (useDemo) {
        return api("POST", "/api/auth/demo-sign", { challenge: data.challenge, person: 1 })
          .then(function (signed) { return signed.signed_xml; });
      }
      return ncalayerSign(data.challenge);
    }).then(function (signedXml) {
      return api("POST", "/api/auth/eds", { signed_xml: signedXml });
    }).then(function (data) {
      csrfToken = data.csrf_token || null;
      me = { signed_in: true, demo_signer: me.demo_signer };
      try { sessionStorage.setItem("ashyq-name", data.name || ""); } catch (e) { /* private mode */ }
      say(status, T.signed_in + (data.name ? " " + data.name : ""));
      render();
    }).catch(function (error) { say(status, error.message, true); });
  }

  function signOut() {
    return api("POST", "/api/auth/logout").then(function () {
      csrfToken = null;
      me = { signed_in: false, demo_signer: me.demo_signer };
      try { sessionStorage.removeItem("ashyq-name"); } catch (e) { /* private mode */ }
      say($("[data-signin-status]", root), T.signed_out);
      render();
    });
  }

  function showTotals(data) {
    $all("[data-total]", root).forEach(function (el) {
      el.textContent = data.votes[el.getAttribute("data-total")];
    });
    $all("[data-vote]", root).forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-vote") === data.my_vote));
    });
    $all("[data-proposal-id]").forEach(function (el) {
      var totals = data.proposals[el.getAttribute("data-proposal-id")];
      if (!totals) return;
      $all("[data-ptotal]", el).forEach(function (t) { t.textContent = totals[t.getAttribute("data-ptotal")]; });
    });
  }

  function refreshTotals() {
    return api("GET", "/api/documents/" + encodeURIComponent(uid) + "/totals").then(showTotals)
      .catch(function () { /* the static totals stay */ });
  }

  function castVote(target, value, statusEl) {
    if (!me.signed_in) { say(statusEl, T.sign_in_first, true); return; }
    api("POST", target + "/votes", { value: value }).then(function () {
      say(statusEl, T.vote_saved);
      refreshTotals();
    }).catch(function (error) { say(statusEl, error.message, true); });
  }

  function count(text) { return Array.from(text.normalize("NFC")).length; }

  function wireProposalForm(form) {
    var area = $("textarea", form), counter = $("[data-counter]", form), result = $("[data-result]", form);
    function update() {
      var n = count(area.value);
      counter.textContent = T.counter.replace("{n}", n).replace("{max}", MAX);
      counter.classList.toggle("bad", n > MAX);
    }
    area.addEventListener("input", update);
    update();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!me.signed_in) { say(result, T.sign_in_first, true); return; }
      api("POST", "/api/documents/" + encodeURIComponent(uid) + "/proposals",
          { part: form.getAttribute("data-part"), text: area.value, lang: lang })
        .then(function (data) {
          var sent = area.value;
          area.value = "";
          update();
          say(result, T.proposal_sent.replace("{id}", data.id).replace("{due}", data.moderation_due));
          if (data.receipt) {
            result.appendChild(document.createTextNode(" "));
            result.appendChild(receiptLink({ id: data.id, receipt: data.receipt, text: sent.normalize("NFC").trim() }));
          }
        }).catch(function (error) { say(result, error.message, true); });
    });
  }

  function render() {
    var signedIn = me.signed_in;
    $all("[data-when-signed-in]", root).forEach(function (el) { el.hidden = !signedIn; });
    $all("[data-when-signed-out]", root).forEach(function (el) { el.hidden = signedIn; });
    $all("[data-demo]", root).forEach(function (el) { el.hidden = signedIn || !me.demo_signer; });
    $all("form[data-part]").forEach(function (form) {
      $("button[type=submit]", form).disabled = !signedIn;
      $("[data-signin-hint]", form).hidden = signedIn;
    });
    if (root.hasAttribute("data-my-proposals")) loadMine();
  }

  // Issue 15: a receipt signed by the portal (text hash, document, part, time, number); the
  // person keeps it with the text, anyone checks it at /api/receipts/verify.
  function receiptLink(p) {
    var file = JSON.stringify({ receipt: p.receipt, text: p.text, proposal: p.id,
      verify: location.origin + "/api/receipts/verify",
      certificate: location.origin + "/opendata/portal-certificate.pem" }, null, 1);
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([file], { type: "application/json" }));
    link.download = "receipt-" + p.id + ".json";
    link.className = "receipt";
    link.textContent = T.receipt;
    return link;
  }

  function statusLabel(status) { return T["status_" + status] || status; }

  function loadMine() {
    var list = $("[data-my-list]", root);
    if (!list) return;
    list.textContent = "";
    if (!me.signed_in) return;
    api("GET", "/api/me/proposals").then(function (data) {
      if (!data.proposals.length) { list.textContent = T.no_proposals; return; }
      data.proposals.forEach(function (p) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "/" + lang + "/discussions/" + encodeURIComponent(p.document) + "/#" + encodeURIComponent(p.part);
        link.textContent = p.document + " · " + p.part;
        var text = document.createElement("p");
        text.textContent = p.text;
        var state = document.createElement("p");
        state.className = "state state-" + p.status;
        state.textContent = statusLabel(p.status);
        item.appendChild(link);
        item.appendChild(text);
        item.appendChild(state);
        var reason = [p.moderation_reason_label, p.moderation_reason].filter(Boolean).join(". ");
        [[T.reason, reason], [T.answer, p.answer_text]].forEach(function (pair) {
          if (!pair[1]) return;
          var extra = document.createElement("p");
          extra.textContent = pair[0] + ": " + pair[1];
          item.appendChild(extra);
        });
        if (p.receipt) item.appendChild(receiptLink(p));
        list.appendChild(item);
      });
    }).catch(function (error) { list.textContent = error.message; });
  }

  root.hidden = false;
  $all("[data-action=sign-in]", root).forEach(function (b) { b.addEventListener("click", function () { signIn(false); }); });
  $all("[data-action=demo-sign-in]", root).forEach(function (b) { b.addEventListener("click", function () { signIn(true); }); });
  $all("[data-action=sign-out]", root).forEach(function (b) { b.addEventListener("click", signOut); });
  $all("[data-vote]", root).forEach(function (button) {
    button.disabled = !open;
    button.addEventListener("click", function () {
      castVote("/api/documents/" + encodeURIComponent(uid), button.getAttribute("data-vote"), $("[data-vote-status]", root));
    });
  });
  $all("[data-proposal-vote]").forEach(function (button) {
    button.disabled = !open;
    button.addEventListener("click", function () {
      var holder = button.closest("[data-proposal-id]");
      castVote("/api/proposals/" + holder.getAttribute("data-proposal-id"), button.getAttribute("data-proposal-vote"), $("[data-pvote-status]", holder));
    });
  });
  $all("form[data-part]").forEach(function (form) {
    form.hidden = !open;
    wireProposalForm(form);
  });
  api("GET", "/api/me").then(function (data) { me = data; render(); })
    .catch(function () { say($("[data-signin-status]", root), T.service_down, true); });
  if (uid) refreshTotals();
})();
