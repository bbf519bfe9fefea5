"""proofloop on Lambda: a Chalice view for each operation of the route table (chalicelib/routes.py), each handing
its request to that one operation, and the scheduled and queue handlers."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Any

from chalice import Chalice, Rate, Response

from chalicelib.routes import TABLE  # plain data: no endpoint and no model is imported for it

if TYPE_CHECKING:
    from chalicelib.routes import Route

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


# --- routes: a view for each operation of the table ----------------------------
def _register(route: Route) -> None:
    def view(**path_params: str) -> Response:  # the request carries them too (`_request`)
        return _call(route.name)

    view.__name__ = view.__qualname__ = route.name  # the view's name, as Chalice and `chalice package` know it
    # A body of any type reaches its endpoint; GET, HEAD and DELETE keep Chalice's default.
    types = {"content_types": ANY} if route.method in ("POST", "PUT", "PATCH") else {}
    app.route(route.path, methods=[route.method], name=route.name, **types)(view)


for declared in TABLE:
    _register(declared)


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
