"""The e-mails of e-mail follow, in the follower's language (kk or ru), and the staff digest.

Every mail to a follower carries ``List-Unsubscribe: <https://…/api/follows/unsubscribe/TOKEN>``
and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058): a mail client's
"unsubscribe" POSTs to that address and the follow ends, with no page to visit.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from submit_api.errors import N_

SUBJECTS = {
    "confirm": N_("Confirm that you follow: %(title)s"),
    "open": N_("The public discussion has opened: %(title)s"),
    "close": N_("The public discussion has ended: %(title)s"),
    "published": N_("A proposal is published: %(title)s"),
    "answered": N_("The state body answered a proposal: %(title)s"),
    "report": N_("The final report on the discussion is ready: %(title)s"),
}
CONFIRM_BODY = N_("You asked to be told by e-mail about %(title)s on the Open Budgets portal. "
                  "To confirm, open this link:")
IGNORE = N_("If it was not you, ignore this letter: nothing more will be sent.")
UNSUBSCRIBE = N_("To stop these letters, open this link:")
PROPOSAL = N_("Proposal No. %(id)s on the part «%(part)s».")
DIGEST_SUBJECT = N_("Proposals: %(new)s new, %(overdue)s overdue")
DIGEST_NEW = N_("Waiting for a decision (R15: 2 working days):")
DIGEST_OVERDUE = N_("Overdue:")
DIGEST_UNANSWERED = N_("Published, waiting for the state body's answer (R16):")
DIGEST_LINK = N_("The back office:")


def _headers(msg: EmailMessage, message_id: str, sender: str, recipient: str, lang: str) -> None:
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"


def follower_mail(kind: str, *, gettext, lang: str, message_id: str, sender: str, recipient: str,
                  title: str, page_url: str, base_url: str, token: str,
                  event_data: dict | None = None) -> EmailMessage:
    """A confirmation (``confirm``) or an event mail (open, close, published, answered, report)."""
    _ = gettext
    msg = EmailMessage()
    msg["Subject"] = _(SUBJECTS[kind]) % {"title": title}
    _headers(msg, message_id, sender, recipient, lang)
    unsubscribe = f"{base_url}/api/follows/unsubscribe/{token}"
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if kind == "confirm":
        lines = [_(CONFIRM_BODY) % {"title": title}, f"{base_url}/api/follows/confirm/{token}", "",
                 _(IGNORE)]
    else:
        lines = [msg["Subject"]]
        data = event_data or {}
        if "proposal" in data:
            lines.append(_(PROPOSAL) % {"id": data["proposal"], "part": data.get("part", "")})
        lines += ["", page_url, "", _(UNSUBSCRIBE), unsubscribe]
    msg.set_content("\n".join(lines) + "\n")
    msg["Content-Language"] = lang  # after set_content, which drops Content-* headers
    return msg


def digest_mail(*, gettexts: dict, message_id: str, sender: str, recipient: str, data: dict,
                base_url: str) -> EmailMessage:
    """The staff digest in Kazakh and Russian: proposals to decide (new and overdue, R15) and
    to answer (R16). Only ids, documents and dates: no text of a proposal, nobody's data."""
    msg = EmailMessage()
    counts = {"new": len(data.get("new", [])), "overdue": len(data.get("overdue", []))}
    msg["Subject"] = " / ".join(_(DIGEST_SUBJECT) % counts for _ in gettexts.values())
    _headers(msg, message_id, sender, recipient, ", ".join(gettexts))
    bodies = []
    for lang, _ in gettexts.items():
        lines = []
        for heading, key in ((DIGEST_NEW, "new"), (DIGEST_OVERDUE, "overdue"),
                             (DIGEST_UNANSWERED, "unanswered")):
            items = data.get(key) or []
            if items:
                lines += [_(heading)] + [f"- № {p['id']} · {p['document']}"
                                         + (f" · {p['due']}" if p.get("due") else "")
                                         for p in items] + [""]
        lines += [_(DIGEST_LINK), f"{base_url}/office/?lang={lang}"]
        bodies.append("\n".join(lines))
    msg.set_content("\n\n— — —\n\n".join(bodies) + "\n")
    msg["Content-Language"] = ", ".join(gettexts)
    return msg
