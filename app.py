"""proofloop's routing table: each view hands one request to one endpoint in chalicelib."""

from __future__ import annotations

import gc
import os
from typing import Any

from chalice import Chalice, Rate, Response

app = Chalice(app_name="proofloop", configure_logs=False)  # Powertools owns the "proofloop" logger
app.debug = False

# Content types are checked by the endpoints themselves, so a wrong one is our JSON 415, not Chalice's.
ANY = ["*/*"]


def _request() -> Any:
    from chalicelib.http import HttpRequest

    req = app.current_request
    query = dict((req.query_params or {}).items())
    identity = (req.context or {}).get("identity") or {}
    return HttpRequest(
        method=req.method,
        path=(req.context or {}).get("path", ""),
        path_params=dict(req.uri_params or {}),
        query=query,
        headers={k.lower(): v for k, v in req.headers.items()},
        body=req.raw_body or b"",
        source_ip=identity.get("sourceIp", ""),
        request_id=(req.context or {}).get("requestId", ""),
    )


def _call(name: str) -> Response:
    from chalicelib.router import dispatch  # imports only the module that declares `name`

    answer = dispatch(name, _request())
    headers: dict[str, Any] = dict(answer.headers)
    if answer.cookies:
        headers["Set-Cookie"] = answer.cookies
    body = answer.body.decode() if isinstance(answer.body, bytes) else answer.body  # every body we send is text
    return Response(body=body, status_code=answer.status, headers=headers)


@app.middleware("http")
def observe(event: Any, get_response: Any) -> Any:
    from chalicelib.observability import get_tracer, logger, metrics, tracing_enabled

    if tracing_enabled():
        get_tracer()
    context = event.context or {}
    logger.set_correlation_id(context.get("requestId"))
    try:
        response = get_response(event)
        metrics.add_metric(name=f"Http{response.status_code // 100}xx", unit="Count", value=1)
        return response
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()  # a disabled flush keeps them; never let them pile up across requests


# --- service ---------------------------------------------------------------
@app.route("/health", methods=["GET"])
def health() -> Response:
    return _call("health")


@app.route("/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    return _call("openapi_document")


@app.route("/admin/run-due", methods=["POST"], content_types=ANY)
def run_due() -> Response:
    return _call("run_due")


# --- shops -----------------------------------------------------------------
@app.route("/shops", methods=["POST"], content_types=ANY)
def create_shop() -> Response:
    return _call("create_shop")


@app.route("/shops/{shop_id}", methods=["GET"])
def get_shop(shop_id: str) -> Response:
    return _call("get_shop")


@app.route("/shops/{shop_id}", methods=["PATCH"], content_types=ANY)
def update_shop(shop_id: str) -> Response:
    return _call("update_shop")


@app.route("/shops/{shop_id}/api-key", methods=["POST"], content_types=ANY)
def rotate_api_key(shop_id: str) -> Response:
    return _call("rotate_api_key")


@app.route("/shops/{shop_id}/webhook-endpoint", methods=["PUT"], content_types=ANY)
def put_webhook_endpoint(shop_id: str) -> Response:
    return _call("put_webhook_endpoint")


@app.route("/shops/{shop_id}/webhook-endpoint", methods=["GET"])
def get_webhook_endpoint(shop_id: str) -> Response:
    return _call("get_webhook_endpoint")


@app.route("/shops/{shop_id}/webhook-endpoint", methods=["DELETE"])
def delete_webhook_endpoint(shop_id: str) -> Response:
    return _call("delete_webhook_endpoint")


@app.route("/shops/{shop_id}/data-requests", methods=["GET"])
def list_data_requests(shop_id: str) -> Response:
    return _call("list_data_requests")


@app.route("/shops/{shop_id}/parked", methods=["GET"])
def list_parked(shop_id: str) -> Response:
    return _call("list_parked")


@app.route("/shops/{shop_id}/parked/retry", methods=["POST"], content_types=ANY)
def retry_parked(shop_id: str) -> Response:
    return _call("retry_parked")


@app.route("/shops/{shop_id}/customers/{customer_id}/data", methods=["GET"])
def customer_data(shop_id: str, customer_id: str) -> Response:
    return _call("customer_data")


# --- webhooks (the raw body is signed: any content type is read as bytes) ------
@app.route("/webhooks/shopify", methods=["POST"], content_types=ANY)
def shopify_webhook() -> Response:
    return _call("shopify_webhook")


@app.route("/webhooks/woocommerce/{shop_id}", methods=["POST"], content_types=ANY)
def woocommerce_webhook(shop_id: str) -> Response:
    return _call("woocommerce_webhook")


@app.route("/webhooks/generic/{shop_id}", methods=["POST"], content_types=ANY)
def generic_webhook(shop_id: str) -> Response:
    return _call("generic_webhook")


# --- reviews ------------------------------------------------------------------
@app.route("/r/{token}", methods=["GET"])
def review_form(token: str) -> Response:
    return _call("review_form")


@app.route("/r/{token}/later", methods=["GET"])
def postpone_page(token: str) -> Response:
    return _call("postpone_page")


@app.route("/r/{token}/later", methods=["POST"], content_types=ANY)
def postpone_request(token: str) -> Response:
    return _call("postpone_request")


@app.route("/reviews", methods=["POST"], content_types=ANY)
def submit_review() -> Response:
    return _call("submit_review")


@app.route("/r/{token}/photos", methods=["POST"], content_types=ANY)
def request_photo_upload(token: str) -> Response:
    return _call("request_photo_upload")


@app.route("/r/{token}/photos", methods=["GET"])
def review_photo_states(token: str) -> Response:
    return _call("review_photo_states")


@app.route("/u/{token}", methods=["GET"])
def unsubscribe_page(token: str) -> Response:
    return _call("unsubscribe_page")


@app.route("/u/{token}", methods=["POST"], content_types=ANY)
def unsubscribe(token: str) -> Response:
    return _call("unsubscribe")


@app.route("/assets/{name}", methods=["GET"])
def asset(name: str) -> Response:
    return _call("asset")


# --- public social proof -------------------------------------------------------
@app.route("/shops/{shop_id}/products/{product_id}/reviews", methods=["GET"])
def product_reviews(shop_id: str, product_id: str) -> Response:
    return _call("product_reviews")


@app.route("/shops/{shop_id}/ratings", methods=["GET"])
def ratings_summary(shop_id: str) -> Response:
    return _call("ratings_summary")


@app.route("/shops/{shop_id}/reviews/{review_id}/votes", methods=["POST"], content_types=ANY)
def vote_review(shop_id: str, review_id: str) -> Response:
    return _call("vote_review")


@app.route("/widget.js", methods=["GET"])
def widget_script() -> Response:
    return _call("widget_script")


@app.route("/shops/{shop_id}/reviews/import", methods=["POST"], content_types=ANY)
def import_reviews(shop_id: str) -> Response:
    return _call("import_reviews")


@app.route("/shops/{shop_id}/reviews/export.csv", methods=["GET"])
def export_reviews(shop_id: str) -> Response:
    return _call("export_reviews")


# --- sharing ----------------------------------------------------------------
@app.route("/s/{code}", methods=["GET"])
def follow_share_link(code: str) -> Response:
    return _call("follow_share_link")


@app.route("/s/{code}", methods=["HEAD"])
def head_share_link(code: str) -> Response:
    return _call("head_share_link")


# The card a share link's preview names (og:image): drawn on its first request, then a redirect to the stored PNG.
@app.route("/s/{code}/card/{name}", methods=["GET"])
def share_card(code: str, name: str) -> Response:
    return _call("share_card")


@app.route("/share/{code}/{channel}", methods=["GET"])
def share_to_channel(code: str, channel: str) -> Response:
    return _call("share_to_channel")


# --- moderation -------------------------------------------------------------
@app.route("/shops/{shop_id}/reviews", methods=["GET"])
def list_reviews(shop_id: str) -> Response:
    return _call("list_reviews")


@app.route("/shops/{shop_id}/reviews/{review_id}/publish", methods=["POST"], content_types=ANY)
def publish_review(shop_id: str, review_id: str) -> Response:
    return _call("publish_review")


@app.route("/shops/{shop_id}/reviews/{review_id}/reject", methods=["POST"], content_types=ANY)
def reject_review(shop_id: str, review_id: str) -> Response:
    return _call("reject_review")


@app.route("/shops/{shop_id}/reviews/{review_id}/reply", methods=["POST"], content_types=ANY)
def reply_review(shop_id: str, review_id: str) -> Response:
    return _call("reply_review")


@app.route("/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/hide", methods=["POST"], content_types=ANY)
def hide_photo(shop_id: str, review_id: str, photo_id: str) -> Response:
    return _call("hide_photo")


@app.route("/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/show", methods=["POST"], content_types=ANY)
def show_photo(shop_id: str, review_id: str, photo_id: str) -> Response:
    return _call("show_photo")


# --- reports ----------------------------------------------------------------
@app.route("/shops/{shop_id}/report", methods=["GET"])
def funnel_report(shop_id: str) -> Response:
    return _call("funnel_report")


@app.route("/shops/{shop_id}/report.csv", methods=["GET"])
def funnel_report_csv(shop_id: str) -> Response:
    return _call("funnel_report_csv")


@app.route("/shops/{shop_id}/advocates", methods=["GET"])
def advocate_leaderboard(shop_id: str) -> Response:
    return _call("advocate_leaderboard")


# --- feeds ------------------------------------------------------------------
@app.route("/shops/{shop_id}/feeds/google-product-reviews.xml", methods=["GET"])
def google_review_feed(shop_id: str) -> Response:
    return _call("google_review_feed")


@app.route("/feeds/{token}/google-product-reviews.xml", methods=["GET"])
def google_review_feed_by_url(token: str) -> Response:
    return _call("google_review_feed_by_url")


@app.route("/shops/{shop_id}/feeds/google-product-reviews", methods=["GET"])
def google_review_feed_report(shop_id: str) -> Response:
    return _call("google_review_feed_report")


@app.route("/shops/{shop_id}/feeds/google-product-reviews/url", methods=["POST"], content_types=ANY)
def issue_feed_url(shop_id: str) -> Response:
    return _call("issue_feed_url")


@app.route("/shops/{shop_id}/feeds/google-product-reviews/url", methods=["DELETE"])
def revoke_feed_url(shop_id: str) -> Response:
    return _call("revoke_feed_url")


# --- dashboard --------------------------------------------------------------
@app.route("/shops/{shop_id}/dashboard", methods=["GET"])
def dashboard(shop_id: str) -> Response:
    return _call("dashboard")


# Sections are GET /dashboard/{section}; each form posts under /dashboard/forms/, a path no section takes.
@app.route("/shops/{shop_id}/dashboard/{section}", methods=["GET"])
def dashboard_section(shop_id: str, section: str) -> Response:
    return _call("dashboard_section")


# A section's own pages (a customer, an import) are GET /dashboard/{section}/{item}, dispatched by its module.
@app.route("/shops/{shop_id}/dashboard/{section}/{item}", methods=["GET"])
def dashboard_item(shop_id: str, section: str, item: str) -> Response:
    return _call("dashboard_item")


@app.route("/shops/{shop_id}/dashboard/forms/settings", methods=["POST"], content_types=ANY)
def dashboard_save_settings(shop_id: str) -> Response:
    return _call("dashboard_save_settings")


@app.route("/shops/{shop_id}/dashboard/forms/webhook-secret", methods=["POST"], content_types=ANY)
def dashboard_webhook_secret(shop_id: str) -> Response:
    return _call("dashboard_webhook_secret")


@app.route("/shops/{shop_id}/dashboard/forms/test-event", methods=["POST"], content_types=ANY)
def dashboard_test_event(shop_id: str) -> Response:
    return _call("dashboard_test_event")


@app.route("/shops/{shop_id}/dashboard/forms/feed-url", methods=["POST"], content_types=ANY)
def dashboard_issue_feed_url(shop_id: str) -> Response:
    return _call("dashboard_issue_feed_url")


@app.route("/shops/{shop_id}/dashboard/forms/feed-url-revoke", methods=["POST"], content_types=ANY)
def dashboard_revoke_feed_url(shop_id: str) -> Response:
    return _call("dashboard_revoke_feed_url")


@app.route("/shops/{shop_id}/dashboard/forms/retry", methods=["POST"], content_types=ANY)
def dashboard_retry_parked(shop_id: str) -> Response:
    return _call("dashboard_retry_parked")


@app.route("/shops/{shop_id}/dashboard/forms/email-test", methods=["POST"], content_types=ANY)
def dashboard_send_test_email(shop_id: str) -> Response:
    return _call("dashboard_send_test_email")


@app.route("/shops/{shop_id}/dashboard/forms/email-texts", methods=["POST"], content_types=ANY)
def dashboard_save_email_texts(shop_id: str) -> Response:
    return _call("dashboard_save_email_texts")


@app.route("/shops/{shop_id}/dashboard/session", methods=["POST"], content_types=ANY)
def dashboard_sign_in(shop_id: str) -> Response:
    return _call("dashboard_sign_in")


@app.route("/shops/{shop_id}/dashboard/logout", methods=["POST"], content_types=ANY)
def dashboard_sign_out(shop_id: str) -> Response:
    return _call("dashboard_sign_out")


@app.route("/shops/{shop_id}/dashboard/forms/reviews/{review_id}/{action}", methods=["POST"], content_types=ANY)
def dashboard_moderate(shop_id: str, review_id: str, action: str) -> Response:
    return _call("dashboard_moderate")


@app.route("/shops/{shop_id}/dashboard/forms/import/{job_id}/{action}", methods=["POST"], content_types=ANY)
def dashboard_import_job(shop_id: str, job_id: str, action: str) -> Response:
    return _call("dashboard_import_job")


@app.route("/shops/{shop_id}/dashboard/forms/reviews-bulk", methods=["POST"], content_types=ANY)
def dashboard_bulk_moderate(shop_id: str) -> Response:
    return _call("dashboard_bulk_moderate")


# --- first run ----------------------------------------------------------------
@app.route("/setup", methods=["GET"])
def setup_page() -> Response:
    return _call("setup_page")


@app.route("/setup", methods=["POST"], content_types=ANY)
def setup() -> Response:
    return _call("setup")


# --- scheduled work ----------------------------------------------------------
@app.schedule(Rate(10, unit=Rate.MINUTES), name="run-due-work")
def run_due_work(event: Any) -> dict[str, Any]:
    from chalicelib.budget import Budget
    from chalicelib.jobs import SAFETY_SECONDS
    from chalicelib.jobs import run_due_work as run
    from chalicelib.observability import metrics

    # Stop taking new items well before this invocation's own timeout; the next run goes on from there.
    seconds = event.context.get_remaining_time_in_millis() / 1000 - SAFETY_SECONDS
    try:
        return run(Budget(seconds)).as_dict()
    finally:
        # No HTTP middleware here: the run's metrics (DueWorkCutShort among them) are flushed by hand.
        if metrics.metric_set:
            metrics.flush_metrics()
            metrics.clear_metrics()


# S3 tells this queue of every upload (the packaged template wires the bucket to it): photos are processed
# within seconds. `chalice local` never fires it; the due work processes whatever it finds waiting.
@app.on_sqs_message(queue=os.environ.get("PROOFLOOP_UPLOAD_QUEUE", "proofloop-photo-uploads"), batch_size=1)
def process_uploads(event: Any) -> dict[str, int]:
    from chalicelib.photos.service import process_uploaded
    from chalicelib.store.table import get_table

    return {"processed": sum(process_uploaded(get_table(), record.body) for record in event)}


# What is loaded by now lives as long as the container. Frozen, the collector no longer walks it on
# each full collection, and the first request, which imports its own modules, does not pay one over
# all of it (`make bench`: about 0.15x of the floor off a first click).
gc.freeze()
