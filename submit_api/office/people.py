"""Staff rights (R8): each administrator's lead grants and revokes its own employees; the
operator sees everyone, read-only. People appear as the start of their keyed hash, never as
an IIN; an IIN typed into the grant form is hashed at once and not kept."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, request, url_for

from submit_api.db import get_db
from submit_api.eds import iin_is_valid
from submit_api.errors import N_
from submit_api.identity import person_id
from submit_api.office import bp
from submit_api.office.base import OfficeError, _, render_page, short_person, staff_page
from submit_api.staff import StaffError, grant, is_operator, lead_codes, revoke, staff_list

def render_staff(roles, status: int = 200, problem: dict | None = None):
    codes = lead_codes(roles)
    if not codes and not is_operator(roles):
        raise OfficeError(403, N_("Your role or administrator code does not allow this (R8)."), rule="R8")
    conn = get_db()
    rows = staff_list(conn) if is_operator(roles) else [
        r for code in sorted(codes) for r in staff_list(conn, code)]
    return render_page("office/staff.html", status, staff=rows, lead_codes=sorted(codes),
                       problem=problem)


@bp.get("/staff")
@staff_page
def staff(person: str, roles):
    return render_staff(roles)


def _not_allowed(roles, values=None):
    return render_staff(roles, 403, {"message": _("Your role or administrator code does not allow this (R8)."),
                                     "rule": "R8", "values": values or {}})


@bp.post("/staff")
@staff_page
def grant_employee(person: str, roles):
    """R8: a lead gives a person the employee role of its administrator code."""
    g.office_back = "office.staff"
    codes = sorted(lead_codes(roles))
    iin = request.form.get("iin", "").strip()
    code = request.form.get("administrator") or (codes[0] if len(codes) == 1 else "")
    if not iin_is_valid(iin):
        return render_staff(roles, 422, {"message": _("Enter a valid 12-digit IIN."), "rule": "R8",
                                         "field": "iin", "values": {"administrator": code}})
    target = person_id(iin, current_app.config["IDENTITY_KEY"])
    try:
        grant(get_db(), person, target, "employee", code or None)
    except StaffError:
        return _not_allowed(roles, {"administrator": code})
    flash(_("Person %(person)s is now an employee of administrator %(code)s.",
            person=short_person(target), code=code))
    return redirect(url_for(".staff"), 303)


@bp.post("/staff/<int:role_id>/revoke")
@staff_page
def revoke_role(role_id: int, person: str, roles):
    """R8: a lead takes the employee role of its administrator code away."""
    g.office_back = "office.staff"
    conn = get_db()
    row = next((r for r in staff_list(conn) if r["id"] == role_id), None)
    if row is None:
        return render_staff(roles, 404, {"message": _("There is no such active staff role."), "rule": None})
    try:
        revoke(conn, person, row["person"], row["role"], row["administrator"])
    except StaffError:
        return _not_allowed(roles)
    flash(_("The role of person %(person)s is revoked.", person=short_person(row["person"])))
    return redirect(url_for(".staff"), 303)
