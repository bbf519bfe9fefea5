"""The console's referral section: the give-get program's settings (saved through PATCH's code), its two code
pools (what is left, a warning to refill, an upload form each) and its figures. The rewards ledger has its place on
the page (the template's `rewards_ledger` block)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from chalicelib.auth.sessions import Session
    from chalicelib.console.referral import UploadReport
    from chalicelib.store.shop_records import Shop

SAVED = "Saved: the program runs with these settings now."


def _section(
    session: Session,
    shop: Shop | None = None,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    report: UploadReport | None = None,
    upload_pool: str = "",
    upload_errors: dict[str, str] | None = None,
    upload_box: str = "",
    query: dict[str, str] | None = None,
    decision_error: str = "",
) -> HttpResponse:
    from chalicelib.console.referral import figures, form_groups, ledger, pool_views, read_decided, settings_values
    from chalicelib.referrals.pools import LOW_CODES, MAX_CODES
    from chalicelib.referrals.program import overview
    from chalicelib.reports.service import period, period_program_figures

    shop = shop or session.shop
    program = overview(get_table(), shop.shop_id)
    first, last = period(shop, None, None)  # the report's own default: the last 30 days
    settings = shop.settings.referral
    return console_page(
        "console_referral.html",
        session,
        "referral",
        status=status,
        groups=form_groups(),
        values=values if values is not None else settings_values(settings),
        errors=errors or {},
        notice=notice,
        enabled=settings.enabled,
        pools=pool_views(program["pools"], settings),
        low_codes=LOW_CODES,
        max_codes=f"{MAX_CODES:,}",
        report=report,
        upload_pool=upload_pool,
        upload_errors=upload_errors or {},
        upload_box=upload_box,
        figures=figures(program, period_program_figures(get_table(), shop, first, last)),
        ledger=ledger(get_table(), shop.shop_id, query or {}),
        decided=read_decided(query or {}),
        decision_error=decision_error,
    )


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.referral import read_report

    notice = SAVED if request.query.get("saved") == "1" else ""
    return _section(session, notice=notice, report=read_report(request.query), query=dict(request.query))


def dashboard_save_referral(request: HttpRequest, session: Session) -> HttpResponse:
    from chalicelib.console.referral import posted_values, save_referral
    from chalicelib.console.referral_models import ReferralSettingsForm

    form = parse_model(ReferralSettingsForm, read_form(request)).model_dump()
    updated, problems = save_referral(get_table(), session.shop, form)
    if updated is None:
        return _section(session, status=422, values=posted_values(form), errors=problems)
    return back(session.shop.shop_id, section="referral", query="?saved=1#program")


def dashboard_upload_codes(request: HttpRequest, session: Session) -> HttpResponse:
    from urllib.parse import urlencode

    from chalicelib.console.referral import upload_codes
    from chalicelib.console.referral_models import CodesUploadForm
    from chalicelib.http import form_files
    from chalicelib.referrals.pools import check_pool

    pool = request.path_params.get("pool", "")
    check_pool(pool)
    form = parse_model(CodesUploadForm, read_form(request))
    file = form_files(request).get("file")
    report, problems = upload_codes(get_table(), session.shop.shop_id, pool, form.codes, file)
    if report is None:
        return _section(session, status=422, upload_pool=pool, upload_errors=problems, upload_box=form.codes)
    return back(session.shop.shop_id, section="referral", query=f"?{urlencode(report.query())}#pool-{pool}")


def dashboard_decide_rewards(request: HttpRequest, session: Session) -> HttpResponse:
    """Approve or deny the ticked held rewards; back to the ledger with what was done."""
    from pydantic import ValidationError

    from chalicelib.console.referral import decide_many
    from chalicelib.console.referral_models import DECISIONS_AT_ONCE, RewardsDecisionForm
    from chalicelib.http import read_form_lists, validation_failed

    fields = read_form_lists(request)
    ids = [i.strip() for i in fields.get("ids", []) if i.strip()]
    if len(ids) > DECISIONS_AT_ONCE:
        return _section(
            session, status=422, decision_error=f"Nothing was changed: at most {DECISIONS_AT_ONCE} rewards at once."
        )
    single = {name: values[-1] for name, values in fields.items() if name != "ids"}
    try:
        form = RewardsDecisionForm.model_validate({**single, "ids": ids})
    except ValidationError as exc:
        return _section(session, status=422, decision_error=f"Nothing was changed: {validation_failed(exc).message}")
    if not form.ids:
        return _section(session, status=422, decision_error="Nothing was changed: tick at least one held reward first.")
    result = decide_many(get_table(), session.shop, form.action, form.ids)
    return back(session.shop.shop_id, section="referral", query=f"?status=held&decided={result.token()}#rewards")
