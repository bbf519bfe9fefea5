"""The console's experiments section: the shop's experiments and the form that starts one
(GET /shops/{shop_id}/dashboard/experiments), one experiment's result with stop and promote
(GET /shops/{shop_id}/dashboard/experiments/{experiment_id}), all through the API's own service code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.endpoints.console import back, console_page
from chalicelib.http import HttpRequest, HttpResponse, parse_model, read_form
from chalicelib.store.table import get_table

if TYPE_CHECKING:
    from collections.abc import Callable

    from chalicelib.auth.sessions import Session

SECTION = "experiments"


def _section(
    session: Session,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> HttpResponse:
    from chalicelib.console.experiments import (
        FORM_LEVERS,
        OFFER_TYPES,
        VARIANT_KEYS,
        current_offers,
        current_settings,
        experiments,
        form_values,
        lever_label,
    )
    from chalicelib.web.languages import LANGUAGES

    shop = session.shop
    return console_page(
        "console_experiments.html",
        session,
        SECTION,
        status=status,
        experiments=experiments(get_table(), shop.shop_id),
        values=values if values is not None else form_values(shop),
        errors=errors or {},
        notice=notice,
        levers=[(lever, lever_label(lever)) for lever in FORM_LEVERS],
        languages=LANGUAGES,
        variant_keys=VARIANT_KEYS[1:],
        current=current_settings(shop),
        current_offers=current_offers(shop),
        offer_types=OFFER_TYPES,
    )


def _done(request: HttpRequest) -> str:
    from chalicelib.console.experiments import DONE

    return DONE.get(str(request.query.get("done", "")), "")


def section_page(request: HttpRequest, session: Session) -> HttpResponse:
    return _section(session, notice=_done(request))


def _experiment_page(
    session: Session, experiment_id: str, notice: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    from chalicelib.console.experiments import experiment, interval_chart, promote_order

    found = experiment(get_table(), session.shop.shop_id, experiment_id)
    return console_page(
        "console_experiment.html",
        session,
        SECTION,
        status=status,
        experiment=found,
        chart=interval_chart(found),
        promote=promote_order(found),
        notice=notice,
        error=error,
    )


def item_page(request: HttpRequest, session: Session) -> HttpResponse:
    """One experiment; an id that is not one of the shop's experiments is the 404 page."""
    return _experiment_page(session, _experiment_id(request.path_params.get("item", "")), notice=_done(request))


def _experiment_id(value: str) -> str:
    import re

    from chalicelib import errors
    from chalicelib.experiments.models import EXPERIMENT_ID_PATTERN

    if not re.match(EXPERIMENT_ID_PATTERN, value):
        raise errors.NotFound(f"no experiment {value!r}", code="experiment_not_found")
    return value


def dashboard_start_experiment(request: HttpRequest, session: Session) -> HttpResponse:
    """Start an experiment through POST /shops/{id}/experiments's code; a refusal is the page again with each
    problem beside its field and the API's status (422, 409 lever_busy)."""
    from chalicelib.console.experiments import start
    from chalicelib.console.models import ExperimentForm

    form = parse_model(ExperimentForm, read_form(request)).model_dump()
    form.pop("csrf", None)
    experiment_id, problems, status = start(get_table(), session.shop, form)
    if experiment_id is None:
        return _section(session, status=status, values=form, errors=problems)
    return back(session.shop.shop_id, section=f"{SECTION}/{experiment_id}", query="?done=started")


def _ended(session: Session, experiment_id: str, action: Callable[[], Any]) -> HttpResponse | None:
    """Run stop or promote; its refusal is the experiment's page with the reason (409, 422), else None."""
    from chalicelib import errors

    try:
        action()
    except errors.Conflict as exc:
        return _experiment_page(session, experiment_id, error=exc.message, status=409)
    except errors.ValidationFailed as exc:
        return _experiment_page(session, experiment_id, error=exc.message, status=422)
    return None


def dashboard_stop_experiment(request: HttpRequest, session: Session) -> HttpResponse:
    """Stop it through the API's code; back to its page with a notice (409 there when it ended already)."""
    from chalicelib.experiments.service import stop

    experiment_id = _experiment_id(request.path_params.get("experiment_id", ""))
    refused = _ended(session, experiment_id, lambda: stop(get_table(), session.shop.shop_id, experiment_id))
    if refused is not None:
        return refused
    return back(session.shop.shop_id, section=f"{SECTION}/{experiment_id}", query="?done=stopped")


def dashboard_promote_experiment(request: HttpRequest, session: Session) -> HttpResponse:
    """Promote a variant through the API's code (its value becomes the shop's setting); back with a notice."""
    from chalicelib.console.models import PromoteExperimentForm
    from chalicelib.experiments.service import promote

    experiment_id = _experiment_id(request.path_params.get("experiment_id", ""))
    form = parse_model(PromoteExperimentForm, read_form(request))
    refused = _ended(
        session, experiment_id, lambda: promote(get_table(), session.shop.shop_id, experiment_id, form.variant)
    )
    if refused is not None:
        return refused
    return back(session.shop.shop_id, section=f"{SECTION}/{experiment_id}", query="?done=promoted")
