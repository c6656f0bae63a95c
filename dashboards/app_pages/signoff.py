"""Data sign-off: the head of an organization signs its certificate; the district head sees
every organization's status, registers its schools' keys, sends reminders and countersigns;
the ministry follows progress by oblast and district, sets the deadline and countersigns
the republic.

Certificates come from the current release (read inside the account's scope, as every
restricted table); signatures go to the sign-off store under $EMIS_HOME (``signoff``).
"""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboards import auth, data, views
from dashboards.ui import lang, logged_download, release, require, t
from emis.settings import load_settings
from signoff import certificate as certificates
from signoff import keys, store, workflow
from signoff import release as signoff_release

language = lang()

user = require("school", "district", "ministry")
current = release()
path = str(current.path)
home = load_settings().home
try:
    rows = data.restricted_rows(path, "signoff_certificates", user.scope)
except data.ScopeError:
    st.error(t("auth.out_of_scope"))
    st.stop()
if rows.empty:
    st.info(t("signoff.none"))
    st.stop()
shipped = [json.loads(text) for text in rows["certificate"]]
census = shipped[0]["census_date"]
state = signoff_release.evaluate(home, census, shipped)
monitoring = data.restricted_rows(path, "monitoring_organizations", user.scope)
names = views.organization_labels(monitoring, language) if not monitoring.empty else {}
territory_names = data.territories(path).set_index("territory_code")[f"name_{language}"]
if user.role == "school":
    scope_name = names.get(user.organization_id, user.organization_id)
else:
    scope_name = territory_names.get(user.district_code or "KG", user.district_code)
st.title(t("signoff.title", scope=scope_name))
deadline = state.deadline.isoformat() if state.deadline else t("signoff.no_deadline")
st.caption(t("signoff.census", census=census, deadline=deadline))
if done := st.session_state.pop("signoff_done", None):
    st.success(done)


def finish(message: str) -> None:
    """Run the page again on the new state, saying what was done: a message written before
    ``st.rerun`` is thrown away with the run, so it is carried across in the session."""
    st.session_state["signoff_done"] = message
    st.rerun()


def password_ok(password: str) -> bool:
    """The password again, checked against the account store (it also unlocks the key)."""
    result = auth.sign_in(home, user.username, password)
    if result.account is None:
        st.error(t("signoff.bad_password"))
        return False
    return True


def key_section() -> bool:
    """The account's key: create it, or say it waits for registration; True when usable."""
    own = [k for k in store.keys(home) if k.username == user.username and not k.revoked_at]
    if not own or not keys.has_key(home, user.username):
        st.info(t("signoff.key.none"))
        with st.form("signoff_key_form"):
            password = st.text_input(t("signoff.password"), type="password", key="signoff_key_pw")
            if st.form_submit_button(t("signoff.key.create")) and password_ok(password):
                try:
                    workflow.create_key(home, user, password)
                except (keys.SigningKeyError, workflow.SignOffError) as error:
                    st.error(str(error))
                else:
                    st.rerun()
        return False
    if not own[-1].registered_at:
        st.info(t("signoff.key.waiting", fingerprint=own[-1].key_id[:12]))
        return False
    st.caption(t("signoff.key.ready", fingerprint=own[-1].key_id[:12]))
    return True


def status_label(status: str) -> str:
    return t(f"signoff.status.{status}")


def countersignature_label(verdict: str | None) -> str:
    """A countersignature's verdict in words: valid, none yet, or why it is not valid; an
    oblast countersigns nothing (—)."""
    if verdict is None or pd.isna(verdict):
        return "—"
    return {"ok": t("signoff.valid"), "none": t("signoff.no_countersignature")}.get(
        verdict, verdict
    )


def register_keys(roles: tuple[str, ...]) -> None:
    """Keys waiting for this account to register them (audit-logged)."""
    district_of = {c["organization_id"]: c["district_code"] for c in shipped}
    waiting = [
        k
        for k in store.keys(home)
        if not k.registered_at
        and not k.revoked_at
        and k.role in roles
        and k.username != user.username
        and (
            user.role == "ministry"
            or district_of.get(k.organization_id or "") == user.district_code
        )
    ]
    st.subheader(t("signoff.keys_waiting"))
    if not waiting:
        st.caption("—")
        return
    table = pd.DataFrame(
        [{"key_id": k.key_id, "username": k.username, "scope": k.subject} for k in waiting]
    )
    st.dataframe(
        table.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="signoff_keys"
    )
    chosen = st.selectbox(t("column.key_id"), list(table["key_id"]), key="signoff_key_choice")
    if st.button(t("signoff.register"), key="signoff_register"):
        try:
            workflow.register_key(home, user, chosen, district_of)
        except (workflow.SignOffError, workflow.ScopeError) as error:
            st.error(str(error))
        else:
            finish(t("signoff.registered_ok"))


def status_table(organizations: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(organizations)
    frame["organization"] = frame["organization_id"].map(lambda c: names.get(c, c))
    frame["status"] = frame["status"].map(status_label)
    frame["signed_at"] = frame["signed_at"].fillna("")
    return frame[["organization", "status", "signed_at", "learners", "blocking_issues"]]


def school_page() -> None:
    own = state.certificate(user.organization_id)
    row = next(r for r in state.organizations if r["organization_id"] == user.organization_id)
    status = row["status"]
    show = {"signed": st.success, "changed": st.error, "invalid": st.error, "overdue": st.warning}
    show.get(status, st.info)(status_label(status))
    if status == "changed":
        signed = store.latest_signatures(home, "organization", census)[user.organization_id]
        st.warning(t("signoff.no_longer_valid"))
        changed = pd.DataFrame(
            [
                {"what": c.label, "signed_value": c.before, "now": c.after}
                for c in certificates.changes(signed.document, own)
            ]
        )
        st.subheader(t("signoff.changes"))
        st.dataframe(
            changed.rename(columns=lambda c: t(f"signoff.{c}")),
            hide_index=True,
            key="signoff_changes",
        )
    st.metric(t("signoff.learners"), f"{own['learners']:,}", border=True)
    st.subheader(t("signoff.issues"))
    issues = pd.DataFrame(
        [
            {"severity": severity, "rule": rule, "records": n}
            for severity, found in own["quality"].items()
            for rule, n in sorted(found.items())
        ],
        columns=["severity", "rule", "records"],
    )
    if issues.empty:
        st.caption(t("signoff.no_issues"))
    else:
        st.dataframe(
            issues.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="signoff_issues"
        )
    st.subheader(t("signoff.records"))
    records = pd.DataFrame(sorted(own["records"].items()), columns=["register", "records"])
    st.dataframe(
        records.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="signoff_records"
    )
    cells = certificates.flatten(own)
    form_cells = {p: v for p, v in cells.items() if p.startswith("forms/")}
    with st.expander(t("signoff.cells", n=len(form_cells))):
        st.dataframe(
            pd.DataFrame(
                [{"what": certificates.label(p, own), "now": v} for p, v in form_cells.items()]
            ),
            hide_index=True,
            key="signoff_cells",
        )
    st.caption(t("signoff.sha", sha=row["certificate_sha256"]))
    if status == "signed" or not key_section():
        return
    with st.form("signoff_sign_form"):
        notes = {
            rule: st.text_area(t("signoff.note", rule=rule), key=f"signoff_note_{rule}")
            for rule in sorted(own["quality"]["blocking"])
        }
        password = st.text_input(t("signoff.password"), type="password", key="signoff_sign_pw")
        if st.form_submit_button(t("signoff.sign"), type="primary") and password_ok(password):
            try:
                workflow.sign_certificate(home, user, password, own, notes)
            except (keys.SigningKeyError, workflow.SignOffError, workflow.ScopeError) as error:
                st.error(str(error))
            else:
                finish(t("signoff.signed_ok"))


def district_page() -> None:
    district = next(d for d in state.districts if d["district_code"] == user.district_code)
    metrics = st.columns(3)
    metrics[0].metric(
        t("signoff.certified"),
        f"{district['certified']} / {district['organizations']}",
        border=True,
    )
    metrics[1].metric(t("signoff.share_learners"), f"{district['share_learners']:.0%}", border=True)
    countersigned = countersignature_label(district["countersignature"])
    metrics[2].metric(t("signoff.countersignature"), countersigned, border=True)
    table = status_table(state.organizations)
    st.dataframe(
        table.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="signoff_status"
    )
    pending = table[[s != status_label("signed") for s in table["status"]]]
    logged_download(
        user,
        t("signoff.reminders"),
        data.to_xlsx(pending, "reminders"),
        f"signoff_reminders_{user.district_code}.xlsx",
        f"signoff_reminders:{user.district_code}",
        "signoff_reminders_xlsx",
    )
    register_keys(("school",))
    if not key_section():
        return
    with st.form("signoff_countersign_form", clear_on_submit=True):  # the password is not kept
        password = st.text_input(t("signoff.password"), type="password", key="signoff_cs_pw")
        if st.form_submit_button(t("signoff.countersign"), type="primary") and password_ok(
            password
        ):
            try:
                workflow.countersign_district(
                    home, user, password, user.district_code, census, state.organizations
                )
            except (keys.SigningKeyError, workflow.SignOffError, workflow.ScopeError) as error:
                st.error(str(error))
            else:
                finish(t("signoff.countersigned_ok"))


def ministry_page() -> None:
    coverage = state.coverage
    metrics = st.columns(3)
    metrics[0].metric(
        t("signoff.certified"),
        f"{coverage['certified']} / {coverage['organizations']}",
        border=True,
    )
    metrics[1].metric(t("signoff.share_learners"), f"{coverage['share_learners']:.0%}", border=True)
    national = countersignature_label(coverage["national_countersignature"])
    metrics[2].metric(t("signoff.national"), national, border=True)
    st.subheader(t("signoff.progress"))
    territories = data.territories(path).set_index("territory_code")
    progress = pd.DataFrame(state.districts)
    progress["oblast"] = progress["district_code"].map(territories["oblast_code"])
    oblasts = progress.groupby("oblast", as_index=False)[
        ["organizations", "certified", "learners", "learners_certified"]
    ].sum()
    oblasts = oblasts.rename(columns={"oblast": "district_code"})
    shown = pd.concat([oblasts, progress], ignore_index=True)
    shown["territory"] = shown["district_code"].map(territories[f"name_{language}"])
    shown["share_learners"] = [
        f"{share:.0%}" for share in shown["learners_certified"] / shown["learners"]
    ]
    shown["countersignature"] = shown["countersignature"].map(countersignature_label)
    shown = shown[
        [
            "district_code",
            "territory",
            "organizations",
            "certified",
            "share_learners",
            "countersignature",
        ]
    ]
    st.dataframe(
        shown.rename(columns=lambda c: t(f"column.{c}")), hide_index=True, key="signoff_progress"
    )
    with st.form("signoff_deadline_form"):
        chosen = st.date_input(
            t("signoff.deadline"),
            state.deadline or dt.date.fromisoformat(census) + dt.timedelta(days=30),
            key="signoff_deadline",
        )
        if st.form_submit_button(t("signoff.set_deadline")):
            store.set_deadline(home, census, chosen.isoformat(), user.username)
            st.rerun()
    register_keys(("district", "ministry", "school"))
    if not key_section():
        return
    with st.form("signoff_national_form", clear_on_submit=True):  # the password is not kept
        password = st.text_input(t("signoff.password"), type="password", key="signoff_nat_pw")
        if st.form_submit_button(t("signoff.countersign_national"), type="primary") and password_ok(
            password
        ):
            try:
                workflow.countersign_national(home, user, password, census, state.districts)
            except (keys.SigningKeyError, workflow.SignOffError, workflow.ScopeError) as error:
                st.error(str(error))
            else:
                finish(t("signoff.countersigned_ok"))


{"school": school_page, "district": district_page, "ministry": ministry_page}[user.role]()
