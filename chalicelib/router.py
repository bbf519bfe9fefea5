"""Which module declares each operation, so that a request imports its own module and nothing else.

app.py's views hand each request to `dispatch(name, request)`. The module declaring `name` is imported
then, on the first request that needs it: a click on a share link loads the sharing endpoints, not
the dashboard, the reports or the pydantic models of the owner's API (a cold start pays for every
module it imports). OpenAPI imports them all (chalicelib/openapi.py); the unit tests check this table
against that full import, so it cannot drift from what the modules declare.

The layers, each importing only those below it: app.py, this router, chalicelib/openapi.py, the
endpoint modules (chalicelib/endpoints/), their registry and authorizers, the domain.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from chalicelib.endpoints.registry import OPERATIONS, Operation, run

if TYPE_CHECKING:
    from chalicelib.http import HttpRequest, HttpResponse

_DECLARED_IN: dict[str, tuple[str, ...]] = {
    "chalicelib.endpoints.system": ("health", "run_due"),
    "chalicelib.openapi": ("openapi_document",),
    "chalicelib.endpoints.shops": (
        "create_shop",
        "get_shop",
        "update_shop",
        "rotate_api_key",
        "put_webhook_endpoint",
        "get_webhook_endpoint",
        "delete_webhook_endpoint",
        "list_data_requests",
        "customer_data",
        "list_parked",
        "retry_parked",
    ),
    "chalicelib.endpoints.webhooks": ("shopify_webhook", "woocommerce_webhook", "generic_webhook"),
    "chalicelib.endpoints.reviews": (
        "review_form",
        "postpone_page",
        "postpone_request",
        "submit_review",
        "unsubscribe_page",
        "unsubscribe",
        "asset",
        "list_reviews",
        "publish_review",
        "reject_review",
        "reply_review",
    ),
    "chalicelib.endpoints.public": (
        "product_reviews",
        "ratings_summary",
        "vote_review",
        "widget_script",
        "import_reviews",
        "export_reviews",
    ),
    "chalicelib.endpoints.photos": ("request_photo_upload", "review_photo_states", "hide_photo", "show_photo"),
    "chalicelib.endpoints.sharing": ("follow_share_link", "head_share_link", "share_card", "share_to_channel"),
    "chalicelib.endpoints.reports": ("funnel_report", "funnel_report_csv", "advocate_leaderboard"),
    "chalicelib.endpoints.feeds": (
        "google_review_feed",
        "google_review_feed_by_url",
        "google_review_feed_report",
        "issue_feed_url",
        "revoke_feed_url",
    ),
    "chalicelib.endpoints.dashboard": (
        "dashboard",
        "dashboard_section",
        "dashboard_item",
        "dashboard_save_settings",
        "dashboard_webhook_secret",
        "dashboard_test_event",
        "dashboard_issue_feed_url",
        "dashboard_revoke_feed_url",
        "dashboard_sign_in",
        "dashboard_sign_out",
        "dashboard_moderate",
        "dashboard_retry_parked",
    ),
    "chalicelib.endpoints.console_import": ("dashboard_import_job",),
    "chalicelib.endpoints.console_emails": ("dashboard_send_test_email", "dashboard_save_email_texts"),
    "chalicelib.endpoints.console_reviews": ("dashboard_bulk_moderate",),
    "chalicelib.endpoints.setup": ("setup_page", "setup"),
}

# operation name -> the module that declares it
ROUTES: dict[str, str] = {name: module for module, names in _DECLARED_IN.items() for name in names}


def load(name: str) -> Operation:
    """The operation `name`, its module imported if no request needed it before."""
    import_module(ROUTES[name])
    return OPERATIONS[name]


def load_all() -> dict[str, Operation]:
    """Every operation: the registry, with every module of the table imported."""
    for module in _DECLARED_IN:
        import_module(module)
    return OPERATIONS


def dispatch(name: str, request: HttpRequest) -> HttpResponse:
    """Run the operation `name` on one request: its authorizer, its handler, its errors as answers."""
    return run(load(name), request)
