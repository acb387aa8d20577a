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
  var me = { signed_in: false };
  var Api = window.AshyqApi; // api.js: the fetch helper, say() and busy() the office shares
  var http = Api.client(lang, T.failed);
  var api = http.request;
  var say = Api.say;

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $all(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }

  // R14: a proposal form at the end of each part, copied from the page's one <template>
  var formTemplate = document.getElementById("proposal-form");
  if (formTemplate) {
    $all("section.part[data-part]").forEach(function (section) {
      var id = section.getAttribute("data-part");
      var form = formTemplate.content.firstElementChild.cloneNode(true);
      var area = $("textarea", form), counter = $("[data-counter]", form);
      form.setAttribute("data-part", id);
      area.id = "proposal-" + id;
      counter.id = "counter-" + id;
      area.setAttribute("aria-describedby", counter.id);
      $("label", form).htmlFor = area.id;
      section.appendChild(form);
    });
  }

  // NCALayer (ncalayer.js): an authentication key (R13) of an individual or of a legal
  // person's organisation (paragraph 2(1)): clientAuth only, both key users are offered.
  function ncalayerSign(xml) {
    return window.AshyqNcaLayer.sign(root.getAttribute("data-ncalayer") || "wss://127.0.0.1:13579/",
      xml, { lang: lang, extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"], messages: T });
  }

  // Who one takes part as (paragraph 2(1)): a person, or an organisation (legal entity's key).
  function whoLine(data) {
    if (data.as === "organisation" || data.kind === "legal") {
      return T.signed_in_organisation + (data.organisation ? ": " + data.organisation : "") + ".";
    }
    return T.signed_in_person + (data.name ? ": " + data.name : "") + ".";
  }

  function signIn(useDemo, button) {
    var status = $("[data-signin-status]", root);
    say(status, T.signing_in);
    return Api.busy(button, T.sending, function () { return api("GET", "/api/auth/challenge").then(function (data) {
      if (useDemo) {
        return api("POST", "/api/auth/demo-sign", { challenge: data.challenge, person: 1 })
          .then(function (signed) { return signed.signed_xml; });
      }
      return ncalayerSign(data.challenge);
    }).then(function (signedXml) {
      return api("POST", "/api/auth/eds", { signed_xml: signedXml });
    }); }).then(function (data) {
      if (!data) return;
      document.dispatchEvent(new CustomEvent("ashyq:signed-in", { detail: data }));
    }).catch(function (error) { say(status, error.message, true); });
  }

  // Every sign-in path ends here, through the event "ashyq:signed-in" (NCALayer above,
  // eGov mobile in egov.js); follow.js hears it too.
  function signedIn(data) {
    http.setToken(data.csrf_token);
    me = { signed_in: true, demo_signer: me.demo_signer, kind: data.kind,
           as: data.kind === "legal" ? "organisation" : "person" };
    try { sessionStorage.setItem("ashyq-name", data.name || ""); } catch (e) { /* private mode */ }
    say($("[data-signin-status]", root), whoLine(data));
    render();
  }
  document.addEventListener("ashyq:signed-in", function (event) { signedIn(event.detail || {}); });

  function signOut(button) {
    return Api.busy(button, T.sending, function () { return api("POST", "/api/auth/logout"); }).then(function () {
      http.setToken(null);
      me = { signed_in: false, demo_signer: me.demo_signer };
      try { sessionStorage.removeItem("ashyq-name"); } catch (e) { /* private mode */ }
      say($("[data-signin-status]", root), T.signed_out);
      render();
      document.dispatchEvent(new CustomEvent("ashyq:signed-out"));
    });
  }

  var numbers = window.Intl ? new Intl.NumberFormat(lang) : { format: String };
  function showTotals(data) {
    $all("[data-total]", root).forEach(function (el) {
      el.textContent = numbers.format(data.votes[el.getAttribute("data-total")]);
    });
    $all("[data-vote]", root).forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-vote") === data.my_vote));
    });
    $all("[data-proposal-id]").forEach(function (el) {
      var totals = data.proposals[el.getAttribute("data-proposal-id")];
      if (!totals) return;
      $all("[data-ptotal]", el).forEach(function (t) { t.textContent = numbers.format(totals[t.getAttribute("data-ptotal")]); });
    });
  }

  function refreshTotals() {
    return api("GET", "/api/documents/" + encodeURIComponent(uid) + "/totals").then(showTotals)
      .catch(function () { /* the static totals stay */ });
  }

  function castVote(target, value, statusEl, button) {
    if (!me.signed_in) { say(statusEl, T.sign_in_first, true); return; }
    say(statusEl, T.sending);
    Api.busy(button, null, function () { return api("POST", target + "/votes", { value: value }); })
      .then(function (data) {
        if (!data) return; // a second tap while the first was on its way
        say(statusEl, T.vote_saved);
        refreshTotals();
      }).catch(function (error) { say(statusEl, error.message, true); });
  }

  // R14: user-perceived characters (graphemes, UAX #29), as the server counts them with \X.
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function count(text) {
    var clean = text.normalize("NFC").trim();
    if (!segmenter) return Array.from(clean).length;
    var n = 0;
    for (var it = segmenter.segment(clean)[Symbol.iterator](), s = it.next(); !s.done; s = it.next()) n++;
    return n;
  }

  function wireProposalForm(form) {
    var area = $("textarea", form), counter = $("[data-counter]", form), result = $("[data-result]", form);
    var button = $("button[type=submit]", form);
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
      // A double tap: the button is busy, the second submit does nothing (and an empty box
      // after a success is not sent again either).
      if (button.getAttribute("aria-busy") === "true" || !area.value.trim()) return;
      say(result, "");
      var sent = area.value;
      Api.busy(button, T.sending, function () {
        return api("POST", "/api/documents/" + encodeURIComponent(uid) + "/proposals",
                   { part: form.getAttribute("data-part"), text: sent, lang: lang });
      }).then(function (data) {
        if (!data) return;
        area.value = "";
        update();
        say(result, T.proposal_sent.replace("{id}", data.id).replace("{due}", data.moderation_due_on || data.moderation_due));
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

  function line(className, text) {
    var p = document.createElement("p");
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  // "My proposals": the document's and the part's titles, the dates in the page's language,
  // what became of each proposal (R15, R16).
  function loadMine() {
    var list = $("[data-my-list]", root);
    if (!list) return;
    list.textContent = "";
    if (!me.signed_in) return;
    api("GET", "/api/me/proposals").then(function (data) {
      if (!data.proposals.length) { list.textContent = T.no_proposals; return; }
      data.proposals.forEach(function (p) {
        var item = document.createElement("li");
        var heading = document.createElement("h2");
        var link = document.createElement("a");
        link.href = "/" + lang + "/discussions/" + encodeURIComponent(p.document) + "/#" + encodeURIComponent(p.part);
        link.textContent = p.document_title || p.document;
        heading.appendChild(link);
        item.appendChild(heading);
        item.appendChild(line("note", (p.part_title || p.part) + " · " + T.sent_on.replace("{date}", p.sent_on || p.created_at)));
        var text = document.createElement("blockquote");
        text.textContent = p.text;
        item.appendChild(text);
        var state = line("state state-" + p.status, statusLabel(p.status));
        var when = p.status === "pending" ? p.moderation_due_on && T.due_on.replace("{date}", p.moderation_due_on)
          : (p.answered_on || p.moderated_on);
        if (when) state.textContent += " · " + when;
        item.appendChild(state);
        // R15: the ground(s) of paragraph 14 and the operator's words
        var reason = [(p.moderation_grounds_labels || []).join("; ") || p.moderation_reason_label,
                      p.moderation_reason].filter(Boolean).join(". ");
        [[T.reason, reason], [T.answer, p.answer_text]].forEach(function (pair) {
          if (pair[1]) item.appendChild(line("", pair[0] + ": " + pair[1]));
        });
        if (p.receipt) item.appendChild(receiptLink(p));
        list.appendChild(item);
      });
    }).catch(function (error) { list.textContent = error.message; });
  }

  root.hidden = false;
  $all("[data-action=sign-in]", root).forEach(function (b) { b.addEventListener("click", function () { signIn(false, b); }); });
  $all("[data-action=demo-sign-in]", root).forEach(function (b) { b.addEventListener("click", function () { signIn(true, b); }); });
  $all("[data-action=sign-out]", root).forEach(function (b) { b.addEventListener("click", function () { signOut(b); }); });
  $all("[data-vote]", root).forEach(function (button) {
    button.disabled = !open;
    button.addEventListener("click", function () {
      castVote("/api/documents/" + encodeURIComponent(uid), button.getAttribute("data-vote"), $("[data-vote-status]", root), button);
    });
  });
  $all("[data-proposal-vote]").forEach(function (button) {
    button.disabled = !open;
    button.addEventListener("click", function () {
      var holder = button.closest("[data-proposal-id]");
      castVote("/api/proposals/" + holder.getAttribute("data-proposal-id"), button.getAttribute("data-proposal-vote"), $("[data-pvote-status]", holder), button);
    });
  });
  $all("form[data-part]").forEach(function (form) {
    form.hidden = !open;
    wireProposalForm(form);
  });
  api("GET", "/api/me").then(function (data) {
    me = data;
    if (data.signed_in) say($("[data-signin-status]", root), whoLine(data));
    render();
  })
    .catch(function () { say($("[data-signin-status]", root), T.service_down, true); });
  if (uid) refreshTotals();
})();
