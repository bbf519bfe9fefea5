"""Every operation of the API, declared once: the table app.py, the router, the registry, OpenAPI and the console read.

An entry says the method and path, the operation's name (its handler's in `module`, its Chalice view's, its
OpenAPI operationId), its auth, its models and what OpenAPI says of it. app.py registers a view for each; a request
imports only the module that serves its operation (chalicelib/router.py). This module is read on every cold start, so
it is plain data: it imports no endpoint, no model and no pydantic. Models are named (`model`), authorizers by their
name (`AUTHORIZERS` in chalicelib/endpoints/authorizers.py), and both are resolved when an operation is first run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from chalicelib.sharing.channels import CHANNELS

if TYPE_CHECKING:
    from pydantic import BaseModel


@dataclass(frozen=True)
class ModelRef:
    """A pydantic model named, not imported: declaring an operation's models costs a request nothing
    (a module of models, pydantic with it, takes over 100 ms to import); OpenAPI resolves them."""

    name: str
    module: str  # the capability's models module (chalicelib.shops.models...) that defines it

    def resolve(self) -> type[BaseModel]:
        from importlib import import_module

        resolved: type[BaseModel] = getattr(import_module(self.module), self.name)
        return resolved


def model(name: str, module: str) -> ModelRef:
    """The model `name` of `module`, for a declaration: each capability keeps its models beside it."""
    return ModelRef(name, module)


# status -> a model (JSON), a media type, several media types, or "" (no body)
Responses = Mapping[int, "ModelRef | str | tuple[str, ...]"]


class Route(NamedTuple):
    """One operation: where it is served, by which function, for whom, and what it takes and answers.
    A named tuple, as `Section`: a frozen dataclass takes a cold start about a millisecond more to define."""

    method: str
    path: str
    name: str  # the function of `module` that serves it; also its Chalice view's name and its OpenAPI operationId
    module: str  # the module that defines that function, imported on the first request that needs it
    summary: str
    tag: str
    auth: str | None = None  # the authorizer's name; None: public, nothing is checked
    body: ModelRef | None = None  # the request body's model
    form: bool = False  # the body may come as a form post
    json_body: bool = True  # the body may come as JSON (False: a form only)
    raw_body: str | None = None  # the media type of a body that is not a model (a CSV file)
    responses: Responses = {}  # read, never changed (so is each default here)
    query: Mapping[str, str] = {}
    params: Mapping[str, Mapping[str, Any]] = {}  # JSON Schema of a path or query parameter
    required_query: tuple[str, ...] = ()  # query parameters a request must carry
    page: bool = False  # a page people open: errors are HTML for browsers and form posts


class Section(NamedTuple):
    """A section of the owner's console, GET /shops/{shop_id}/dashboard/<name>, as the nav shows it."""

    name: str
    label: str
    # The endpoint module that draws it (its `section_page(request, session)`, perhaps `item_page(request,
    # session)` for the pages below it), so that a section's request imports that module only; None: drawn by
    # chalicelib/endpoints/console_main.py.
    module: str | None = None


# The modules that serve operations
SYSTEM = "chalicelib.endpoints.system"
OPENAPI = "chalicelib.openapi"
SHOPS = "chalicelib.endpoints.shops"
WEBHOOKS = "chalicelib.endpoints.webhooks"
REVIEWS = "chalicelib.endpoints.reviews"
PHOTOS = "chalicelib.endpoints.photos"
PUBLIC = "chalicelib.endpoints.public"
SHARING = "chalicelib.endpoints.sharing"
FRIENDS = "chalicelib.endpoints.friends"
REPORTS = "chalicelib.endpoints.reports"
FEEDS = "chalicelib.endpoints.feeds"
DASHBOARD = "chalicelib.endpoints.console_main"
CONSOLE_REVIEWS = "chalicelib.endpoints.console_reviews"
CONSOLE_CUSTOMERS = "chalicelib.endpoints.console_customers"
CONSOLE_EMAILS = "chalicelib.endpoints.console_emails"
CONSOLE_WIDGET = "chalicelib.endpoints.console_widget"
CONSOLE_IMPORT = "chalicelib.endpoints.console_import"
CONSOLE_REFERRAL = "chalicelib.endpoints.console_referral"
CONSOLE_EXPERIMENTS = "chalicelib.endpoints.console_experiments"
SETUP = "chalicelib.endpoints.setup"
REFERRALS = "chalicelib.endpoints.referrals"
CONNECTIONS = "chalicelib.endpoints.connections"
EXPERIMENTS = "chalicelib.endpoints.experiments"

# The modules of the models operations name: each capability's own, and the service's answers
ANSWERS = "chalicelib.endpoints.answers"
SHOP_MODELS = "chalicelib.shops.models"
REVIEW_MODELS = "chalicelib.reviews.models"
PHOTO_MODELS = "chalicelib.photos.models"
REPORT_MODELS = "chalicelib.reports.models"
FEED_MODELS = "chalicelib.feeds.models"
WEBHOOK_MODELS = "chalicelib.webhooks.models"
STANDARD_WEBHOOKS = "chalicelib.webhooks.standard"  # the generic webhook's payload; its route parses it
CONSOLE_MODELS = "chalicelib.console.models"
MODERATION_MODELS = "chalicelib.console.reviews.models"
EMAIL_MODELS = "chalicelib.console.emails.models"
IMPORT_MODELS = "chalicelib.console.imports_models"
REFERRAL_FORM_MODELS = "chalicelib.console.referral_models"
REFERRAL_MODELS = "chalicelib.referrals.models"
CONNECTION_MODELS = "chalicelib.connections.models"
EXPERIMENT_MODELS = "chalicelib.experiments.models"

# The console's sections, in the nav's order (the overview is also /shops/{shop_id}/dashboard).
SECTIONS: tuple[Section, ...] = (
    Section("overview", "Overview"),
    Section("reviews", "Reviews", CONSOLE_REVIEWS),
    Section("customers", "Customers", CONSOLE_CUSTOMERS),
    Section("emails", "Emails", CONSOLE_EMAILS),
    Section("widget", "Widget", CONSOLE_WIDGET),
    Section("referral", "Referral program", CONSOLE_REFERRAL),
    Section("experiments", "Experiments", CONSOLE_EXPERIMENTS),
    Section("connect", "Connect"),
    Section("settings", "Settings"),
    Section("import", "Import & export", CONSOLE_IMPORT),
    Section("feed", "Google feed"),
)
# section -> the endpoint module that draws it, for the sections that have their own
SECTION_MODULES: dict[str, str] = {section.name: section.module for section in SECTIONS if section.module}

# What path parameters may say, beside the routes that take them; their handlers check the same values.
MODERATION_ACTIONS = ("publish", "reject", "reply", "hide-photo", "show-photo")
IMPORT_ACTIONS = ("commit", "cancel")
REFERRAL_POOLS = ("friend", "advocate")  # chalicelib.referrals.POOLS
REWARD_STATES = ("pending", "held", "issued", "void")  # chalicelib.store.rewards.STATES
REWARD_ACTIONS = ("approve", "deny")  # chalicelib.referrals.rewards.ACTIONS
EXPERIMENT_ID = {"experiment_id": {"type": "string", "pattern": "^ex[0-9a-f]{26}$"}}  # experiments.models
CARD_NAME = r"^[0-9a-f]{16}\.png$"  # a card version (sharing.codes.card_mark), as a file name

# The `limit` of a paged list (chalicelib/endpoints/registry.py `page_limit` reads it)
PAGE_LIMIT: dict[str, dict[str, Any]] = {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}
_PERIOD = {"from": "first day, YYYY-MM-DD (default: 29 days before `to`)", "to": "last day (default: today)"}
_WEBHOOK_ANSWERS: Responses = {200: model("WebhookResult", WEBHOOK_MODELS)}


def console_form(
    name: str,
    form: str,
    module: str,
    summary: str,
    body: str = "DashboardForm",
    models: str = CONSOLE_MODELS,
    responses: Responses | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> Route:
    """A console form's operation: POST /shops/{shop_id}/dashboard/forms/<form>, a form only, CSRF-checked by
    the session's authorizer, answered with a redirect (or the page again with the errors beside the fields).
    Under /forms/ because a fixed segment beside {section} would shadow a section in API Gateway.
    `form` may carry path parameters (`reviews/{review_id}/{action}`), declared in `params`; `body` names the
    form's model in the module `models` (a section keeps its own); `responses` adds to the redirect what else
    it may answer (a 429)."""
    return Route(
        "POST",
        f"/shops/{{shop_id}}/dashboard/forms/{form}",
        name,
        module,
        summary=summary,
        tag="dashboard",
        auth="session-form",
        body=model(body, models),
        form=True,
        json_body=False,
        responses={303: "", **(responses or {})},
        params=params or {},
        page=True,
    )


# Every operation, in the order app.py registers its view. A new route is one entry here and its handler: the
# function `name` of `module`, taking (request) when public, (request, what the authorizer established) otherwise.
TABLE: tuple[Route, ...] = (
    # --- service
    Route(
        "GET",
        "/health",
        "health",
        SYSTEM,
        summary="Liveness: the service answers",
        tag="service",
        responses={200: model("Health", ANSWERS)},
    ),
    Route(
        "GET",
        "/openapi.json",
        "openapi_document",
        OPENAPI,
        summary="This API, as OpenAPI 3",
        tag="service",
        responses={200: "application/json"},
    ),
    Route(
        "POST",
        "/admin/run-due",
        "run_due",
        SYSTEM,
        summary="Run due scheduled work now (review requests, reminders)",
        tag="service",
        auth="admin",
        responses={200: model("RunDueResult", ANSWERS)},
    ),
    # --- shops
    Route(
        "POST",
        "/shops",
        "create_shop",
        SHOPS,
        summary="Create a shop and its owner API key (shown once)",
        tag="shops",
        auth="admin",
        body=model("ShopCreate", SHOP_MODELS),
        responses={201: model("ShopCreated", SHOP_MODELS)},
    ),
    Route(
        "GET",
        "/shops/{shop_id}",
        "get_shop",
        SHOPS,
        summary="The shop's profile and settings",
        tag="shops",
        auth="owner",
        responses={200: model("ShopView", SHOP_MODELS)},
    ),
    Route(
        "PATCH",
        "/shops/{shop_id}",
        "update_shop",
        SHOPS,
        summary="Change the shop's name, domains, webhook secret or settings",
        tag="shops",
        auth="owner",
        body=model("ShopUpdate", SHOP_MODELS),
        responses={200: model("ShopView", SHOP_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/api-key",
        "rotate_api_key",
        SHOPS,
        summary="Replace the owner API key; the old one stops working",
        tag="shops",
        auth="owner",
        responses={200: model("ApiKeyRotated", SHOP_MODELS)},
    ),
    Route(
        "PUT",
        "/shops/{shop_id}/connection",
        "put_connection",
        CONNECTIONS,
        summary="Connect the shop's store with one API credential, checked against the store and kept sealed",
        tag="shops",
        auth="owner",
        body=model("ConnectionIn", CONNECTION_MODELS),
        responses={200: model("ConnectionView", CONNECTION_MODELS)},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/connection",
        "get_connection",
        CONNECTIONS,
        summary="The shop's store connection: the store and the credential's scopes, never the credential",
        tag="shops",
        auth="owner",
        responses={200: model("ConnectionView", CONNECTION_MODELS)},
    ),
    Route(
        "DELETE",
        "/shops/{shop_id}/connection",
        "delete_connection",
        CONNECTIONS,
        summary="Remove the webhooks proofloop registered in the store, then forget the store credential",
        tag="shops",
        auth="owner",
        responses={204: ""},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/connection/webhooks",
        "post_connection_webhooks",
        CONNECTIONS,
        summary="Register the store's webhooks again with the stored credential (after a change of base URL)",
        tag="shops",
        auth="owner",
        responses={200: model("ConnectionView", CONNECTION_MODELS)},
    ),
    Route(
        "PUT",
        "/shops/{shop_id}/webhook-endpoint",
        "put_webhook_endpoint",
        SHOPS,
        summary="Register the owner's receiver of signed events",
        tag="shops",
        auth="owner",
        body=model("WebhookEndpointIn", SHOP_MODELS),
        responses={200: model("WebhookEndpointOut", SHOP_MODELS)},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/webhook-endpoint",
        "get_webhook_endpoint",
        SHOPS,
        summary="The registered receiver (without its secret)",
        tag="shops",
        auth="owner",
        responses={200: model("WebhookEndpointOut", SHOP_MODELS)},
    ),
    Route(
        "DELETE",
        "/shops/{shop_id}/webhook-endpoint",
        "delete_webhook_endpoint",
        SHOPS,
        summary="Stop sending events",
        tag="shops",
        auth="owner",
        responses={204: ""},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/data-requests",
        "list_data_requests",
        SHOPS,
        summary="Customers' data requests received from the storefront",
        tag="privacy",
        auth="owner",
        responses={200: "application/json"},
        query={"cursor": "from the last page"},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/customers/{customer_id}/data",
        "customer_data",
        SHOPS,
        summary="Everything stored about one customer, to answer their data request",
        tag="privacy",
        auth="owner",
        responses={200: "application/json"},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/parked",
        "list_parked",
        SHOPS,
        summary="Due work parked after its last attempt (a review email to a refused address at once; an outbound "
        "event, photo, share card, import or erasure that kept failing), the most recently parked first",
        tag="shops",
        auth="owner",
        responses={200: model("ParkedItems", SHOP_MODELS)},
        query={"cursor": "from the last page"},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/parked/retry",
        "retry_parked",
        SHOPS,
        summary="Put one parked item back on its way: due now, with a fresh run of attempts (404 when it is not "
        "parked: retried already, or gone)",
        tag="shops",
        auth="owner",
        body=model("ParkedRetryIn", SHOP_MODELS),
        responses={200: model("ParkedRetryOut", SHOP_MODELS)},
    ),
    # --- referral program
    Route(
        "GET",
        "/shops/{shop_id}/referral",
        "referral_program",
        REFERRALS,
        summary="The shop's referral program: its settings, its code pools (available, handed out), its rewards by "
        "state and the friends' claims",
        tag="referrals",
        auth="owner",
        responses={200: model("ReferralOverview", REFERRAL_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/referral/codes/{pool}",
        "upload_referral_codes",
        REFERRALS,
        summary="Add codes to the friend or advocate pool: text/csv or text/plain, one code a line (a first line "
        "`code` allowed), 1-64 of A-Z a-z 0-9 _ -, at most 10,000 a request (413 beyond). A code already in either "
        "pool, compared without regard to case, is `already` and never added twice",
        tag="referrals",
        auth="owner",
        raw_body="text/csv",
        responses={200: model("CodeUpload", REFERRAL_MODELS)},
        params={"pool": {"type": "string", "enum": list(REFERRAL_POOLS)}},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/rewards",
        "list_rewards",
        REFERRALS,
        summary="The advocates' rewards, newest first: of one state, or of all with the held ones (waiting for the "
        "owner, with their reasons) first",
        tag="referrals",
        auth="owner",
        responses={200: model("RewardList", REFERRAL_MODELS)},
        query={
            "status": "pending, held, issued or void (default: all, held first)",
            "limit": "1-100, default 25",
            "cursor": "from the last page",
        },
        params={"status": {"type": "string", "enum": list(REWARD_STATES)}, **PAGE_LIMIT},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/rewards/{reward_id}/{action}",
        "decide_reward",
        REFERRALS,
        summary="Approve a held reward (it goes on as pending: issued once the friend's order is fulfilled and the "
        "hold has passed) or deny it (void, reason `denied`); 409 `not_held` when it is not held",
        tag="referrals",
        auth="owner",
        responses={200: model("Reward", REFERRAL_MODELS)},
        params={
            "reward_id": {"type": "string", "pattern": "^rw_[0-9a-f]{24}$"},
            "action": {"type": "string", "enum": list(REWARD_ACTIONS)},
        },
    ),
    # --- experiments
    Route(
        "POST",
        "/shops/{shop_id}/experiments",
        "create_experiment",
        EXPERIMENTS,
        summary="Start an experiment on one lever (the request's subject or intro, or the share prompt's words, in "
        "one language; the request's delay; the friend's offer or the advocate's reward): 2-4 variants, exactly one "
        "the current setting (the control), each valid as the setting itself; 409 `lever_busy` while one runs on "
        "that lever (and language)",
        tag="experiments",
        auth="owner",
        body=model("ExperimentCreate", EXPERIMENT_MODELS),
        responses={201: model("ExperimentCreated", EXPERIMENT_MODELS)},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/experiments",
        "list_experiments",
        EXPERIMENTS,
        summary="The shop's experiments, newest first, each with its counts, intervals and decision",
        tag="experiments",
        auth="owner",
        responses={200: model("ExperimentList", EXPERIMENT_MODELS)},
        query={"limit": "1-100, default 25", "cursor": "from the last page"},
        params=PAGE_LIMIT,
    ),
    Route(
        "GET",
        "/shops/{shop_id}/experiments/{experiment_id}",
        "get_experiment",
        EXPERIMENTS,
        summary="One experiment: each variant's units, conversions, rate and always-valid difference against the "
        "control (mSPRT), the decision and its plain sentence; valid however often it is read",
        tag="experiments",
        auth="owner",
        responses={200: model("Experiment", EXPERIMENT_MODELS)},
        params=EXPERIMENT_ID,
    ),
    Route(
        "POST",
        "/shops/{shop_id}/experiments/{experiment_id}/stop",
        "stop_experiment",
        EXPERIMENTS,
        summary="Stop a running experiment: its counts so far are frozen, its units exposed before go on closing, "
        "and its lever is free again; 409 `not_running`",
        tag="experiments",
        auth="owner",
        responses={200: model("Experiment", EXPERIMENT_MODELS)},
        params=EXPERIMENT_ID,
    ),
    Route(
        "POST",
        "/shops/{shop_id}/experiments/{experiment_id}/promote",
        "promote_experiment",
        EXPERIMENTS,
        summary="Make a variant the shop's setting (through the settings' own change, as PATCH /shops/{shop_id}) "
        "and end the experiment as promoted; 422 `unknown_variant`, 409 `not_running`",
        tag="experiments",
        auth="owner",
        body=model("PromoteIn", EXPERIMENT_MODELS),
        responses={200: model("Experiment", EXPERIMENT_MODELS)},
        params=EXPERIMENT_ID,
    ),
    # --- webhooks (the raw body is signed: any content type is read as bytes)
    Route(
        "POST",
        "/webhooks/shopify",
        "shopify_webhook",
        WEBHOOKS,
        summary="Shopify webhooks (orders, refunds, products, privacy)",
        tag="webhooks",
        auth="shopify-hmac",
        raw_body="application/json",
        responses=_WEBHOOK_ANSWERS,
    ),
    Route(
        "POST",
        "/webhooks/woocommerce/{shop_id}",
        "woocommerce_webhook",
        WEBHOOKS,
        summary="WooCommerce webhooks (orders, products)",
        tag="webhooks",
        auth="woocommerce-hmac",
        raw_body="application/json",
        responses=_WEBHOOK_ANSWERS,
    ),
    Route(
        "POST",
        "/webhooks/generic/{shop_id}",
        "generic_webhook",
        WEBHOOKS,
        summary="Normalized order events signed per Standard Webhooks",
        tag="webhooks",
        auth="standard-webhooks",
        body=model("GenericWebhookBody", STANDARD_WEBHOOKS),
        responses=_WEBHOOK_ANSWERS,
    ),
    # --- reviews
    Route(
        "GET",
        "/r/{token}",
        "review_form",
        REVIEWS,
        summary="The review form for one order (HTML; the link is signed)",
        tag="reviews",
        auth="review-link",
        responses={200: "text/html", 410: model("ErrorBody", ANSWERS)},
        page=True,
    ),
    Route(
        "GET",
        "/r/{token}/later",
        "postpone_page",
        REVIEWS,
        summary="Not arrived yet? The page that offers to ask again in a week (HTML; changes nothing)",
        tag="reviews",
        auth="review-link",
        responses={200: "text/html"},
        page=True,
    ),
    Route(
        "POST",
        "/r/{token}/later",
        "postpone_request",
        REVIEWS,
        summary="Ask again in a week, once: the parcel has not arrived (HTML)",
        tag="reviews",
        auth="review-link",
        responses={200: "text/html"},
        page=True,
    ),
    Route(
        "GET",
        "/r/{token}/refer",
        "refer_page",
        FRIENDS,
        summary="The buyer's own share page: their link, the channels and the friend's offer, for every buyer alike "
        "whether or not they reviewed (HTML; the review link signs it; 404 program_off without a referral program)",
        tag="reviews",
        auth="review-link",
        responses={200: "text/html", 404: model("ErrorBody", ANSWERS), 410: model("ErrorBody", ANSWERS)},
        page=True,
    ),
    Route(
        "HEAD",
        "/r/{token}/refer",
        "head_refer_page",
        FRIENDS,
        summary="Headers of the buyer's share page; makes no code",
        tag="reviews",
        auth="review-link",
        responses={200: ""},
    ),
    Route(
        "POST",
        "/reviews",
        "submit_review",
        REVIEWS,
        summary="Submit a review (JSON, or the form)",
        tag="reviews",
        auth="review-link-in-body",
        body=model("ReviewSubmission", REVIEW_MODELS),
        form=True,
        responses={
            201: model("ReviewCreated", REVIEW_MODELS),
            200: model("ReviewCreated", REVIEW_MODELS),
            410: model("ErrorBody", ANSWERS),
        },
        page=True,
    ),
    Route(
        "POST",
        "/r/{token}/photos",
        "request_photo_upload",
        PHOTOS,
        summary="Ask to upload a photo for a review: a photo id and a presigned POST (the review link signs it)",
        tag="reviews",
        auth="review-link",
        body=model("PhotoUploadRequest", PHOTO_MODELS),
        responses={201: model("PhotoUpload", PHOTO_MODELS), 410: model("ErrorBody", ANSWERS)},
    ),
    Route(
        "GET",
        "/r/{token}/photos",
        "review_photo_states",
        PHOTOS,
        summary="The photos uploaded with this review link: processing, ready, or refused and why",
        tag="reviews",
        auth="review-link",
        responses={200: model("PhotoStates", PHOTO_MODELS)},
    ),
    Route(
        "GET",
        "/u/{token}",
        "unsubscribe_page",
        REVIEWS,
        summary="Confirm stopping review emails (HTML)",
        tag="reviews",
        auth="unsubscribe-link",
        responses={200: "text/html"},
        page=True,
    ),
    Route(
        "POST",
        "/u/{token}",
        "unsubscribe",
        REVIEWS,
        summary="Stop review emails (one-click, RFC 8058)",
        tag="reviews",
        auth="unsubscribe-link",
        responses={200: "text/html"},
        page=True,
    ),
    Route(
        "GET",
        "/assets/{name}",
        "asset",
        REVIEWS,
        summary="Stylesheets and scripts of our pages",
        tag="reviews",
        responses={200: ("text/css", "text/javascript")},
    ),
    # --- public social proof
    Route(
        "GET",
        "/shops/{shop_id}/products/{product_id}/reviews",
        "product_reviews",
        PUBLIC,
        summary="Published reviews of a product, its rating and schema.org JSON-LD (public, cacheable)",
        tag="public",
        responses={200: model("ProductReviews", REVIEW_MODELS), 304: ""},
        query={
            "sort": "newest (default), helpful or rating",
            "limit": "1-100, default 10",
            "cursor": "from the last page",
            "lang": "the page's language tag (fr, fr-CA) for `texts`; none, unknown or not a tag: the shop's language",
        },
        params={
            "sort": {"type": "string", "enum": ["newest", "helpful", "rating"]},
            "lang": {"type": "string"},
            **PAGE_LIMIT,
        },
    ),
    Route(
        "GET",
        "/shops/{shop_id}/ratings",
        "ratings_summary",
        PUBLIC,
        summary="Rating summaries of several products (listing pages)",
        tag="public",
        responses={200: model("RatingsSummary", REVIEW_MODELS), 304: ""},
        query={"products": "comma-separated product ids, at most 100"},
        params={"products": {"type": "string", "minLength": 1}},
        required_query=("products",),
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/votes",
        "vote_review",
        PUBLIC,
        summary="Mark a review helpful or not (once)",
        tag="public",
        body=model("VoteIn", REVIEW_MODELS),
        responses={200: model("PublicReview", REVIEW_MODELS)},
    ),
    Route(
        "GET",
        "/widget.js",
        "widget_script",
        PUBLIC,
        summary="The review widget a store pastes once",
        tag="public",
        responses={200: "text/javascript"},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/import",
        "import_reviews",
        PUBLIC,
        summary="Import reviews from a Judge.me, Yotpo or proofloop CSV export (text/csv body; dry_run=true to check)",
        tag="moderation",
        auth="owner",
        raw_body="text/csv",
        responses={200: model("ImportResult", REVIEW_MODELS)},
        query={"format": "judgeme, yotpo or proofloop (our own export)", "dry_run": "true to report without writing"},
        params={
            "format": {"type": "string", "enum": ["judgeme", "yotpo", "proofloop"]},
            "dry_run": {"type": "string", "enum": ["true", "false"]},
        },
    ),
    Route(
        "GET",
        "/shops/{shop_id}/reviews/export.csv",
        "export_reviews",
        PUBLIC,
        summary="Every review of the shop as CSV",
        tag="moderation",
        auth="owner",
        responses={200: "text/csv", 303: "a large export: its presigned read in storage"},
    ),
    # --- sharing
    Route(
        "GET",
        "/s/{code}",
        "follow_share_link",
        SHARING,
        summary="A share link: counts the click and redirects to the shop (302)",
        tag="sharing",
        responses={302: "", 200: "text/html"},
        query={"via": "the channel it was shared on", "attempt": "set by our own retry page; ignored otherwise"},
        page=True,
    ),
    Route(
        "HEAD",
        "/s/{code}",
        "head_share_link",
        SHARING,
        summary="Headers of a share link; never counted",
        tag="sharing",
        responses={302: ""},
    ),
    # The card a share link's preview names (og:image): drawn on its first request, then a redirect to the stored PNG.
    Route(
        "GET",
        "/s/{code}/card/{name}",
        "share_card",
        SHARING,
        summary="A share link's card, the 1200x630 PNG its preview names: drawn on the first request, "
        "then stored (302)",
        tag="sharing",
        responses={302: ""},
        params={"name": {"type": "string", "pattern": CARD_NAME}},
    ),
    # A give-get program's friend claims its offer on the friend's page (its form) or by JSON.
    Route(
        "POST",
        "/s/{code}/claim",
        "claim_friend_offer",
        FRIENDS,
        summary="A friend claims the shop's offer through a share link: their code (or that it follows by email)",
        tag="sharing",
        body=model("FriendClaimIn", REFERRAL_MODELS),
        form=True,
        responses={
            200: model("FriendClaimOut", REFERRAL_MODELS),
            409: model("ErrorBody", ANSWERS),
            429: model("ErrorBody", ANSWERS),
        },
        page=True,
    ),
    Route(
        "GET",
        "/share/{code}/{channel}",
        "share_to_channel",
        SHARING,
        summary="The advocate shares: counts it and redirects to the network",
        tag="sharing",
        responses={302: "", 200: "text/html"},
        params={"channel": {"type": "string", "enum": list(CHANNELS)}},
        page=True,
    ),
    # --- moderation
    Route(
        "GET",
        "/shops/{shop_id}/reviews",
        "list_reviews",
        REVIEWS,
        summary="Reviews waiting for the owner (status=pending)",
        tag="moderation",
        auth="owner",
        responses={200: model("ReviewList", REVIEW_MODELS)},
        query={"status": "pending (default)", "limit": "1-100, default 50", "cursor": "from the last page"},
        params={"status": {"type": "string", "enum": ["pending"]}, **PAGE_LIMIT},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/publish",
        "publish_review",
        REVIEWS,
        summary="Publish a pending or rejected review",
        tag="moderation",
        auth="owner",
        responses={200: model("ReviewView", REVIEW_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/reject",
        "reject_review",
        REVIEWS,
        summary="Reject a review (it is never shown)",
        tag="moderation",
        auth="owner",
        responses={200: model("ReviewView", REVIEW_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/reply",
        "reply_review",
        REVIEWS,
        summary="Reply in public; shown with the review",
        tag="moderation",
        auth="owner",
        body=model("ReplyBody", REVIEW_MODELS),
        responses={200: model("ReviewView", REVIEW_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/hide",
        "hide_photo",
        PHOTOS,
        summary="Hide one photo of a review (the review stays as it is)",
        tag="moderation",
        auth="owner",
        responses={200: model("PhotoState", PHOTO_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/reviews/{review_id}/photos/{photo_id}/show",
        "show_photo",
        PHOTOS,
        summary="Show a hidden photo of a review again",
        tag="moderation",
        auth="owner",
        responses={200: model("PhotoState", PHOTO_MODELS)},
    ),
    # --- reports
    Route(
        "GET",
        "/shops/{shop_id}/report",
        "funnel_report",
        REPORTS,
        summary="The funnel, rates, daily series and top advocates",
        tag="reports",
        auth="owner",
        responses={200: model("Report", REPORT_MODELS)},
        query=_PERIOD,
    ),
    Route(
        "GET",
        "/shops/{shop_id}/report.csv",
        "funnel_report_csv",
        REPORTS,
        summary="The same report as CSV: a row per day and totals",
        tag="reports",
        auth="owner",
        responses={200: "text/csv", 303: "a large export: its presigned read in storage"},
        query=_PERIOD,
    ),
    Route(
        "GET",
        "/shops/{shop_id}/advocates",
        "advocate_leaderboard",
        REPORTS,
        summary="Customers ranked by advocate score, highest first",
        tag="reports",
        auth="owner",
        responses={200: model("AdvocateList", REPORT_MODELS)},
        query={"limit": "1-100, default 25", "cursor": "from the last page"},
        params=PAGE_LIMIT,
    ),
    # --- feeds
    Route(
        "GET",
        "/shops/{shop_id}/feeds/google-product-reviews.xml",
        "google_review_feed",
        FEEDS,
        summary="Google's product review feed (product_reviews.xsd 2.2): every published review Google takes",
        tag="feeds",
        auth="owner",
        responses={200: "application/xml", 303: "a large feed: its presigned read in storage"},
    ),
    Route(
        "GET",
        "/feeds/{token}/google-product-reviews.xml",
        "google_review_feed_by_url",
        FEEDS,
        summary="The same feed at its secret URL, for Merchant Center's scheduled fetch",
        tag="feeds",
        auth="feed-link",
        responses={200: "application/xml", 303: "a large feed: its presigned read in storage"},
    ),
    Route(
        "GET",
        "/shops/{shop_id}/feeds/google-product-reviews",
        "google_review_feed_report",
        FEEDS,
        summary="What the feed holds, what Google would refuse and why, and the feed's secret URL",
        tag="feeds",
        auth="owner",
        responses={200: model("FeedReport", FEED_MODELS)},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/feeds/google-product-reviews/url",
        "issue_feed_url",
        FEEDS,
        summary="Issue a new secret feed URL (the one issued before stops working)",
        tag="feeds",
        auth="owner",
        responses={201: model("FeedUrl", FEED_MODELS)},
    ),
    Route(
        "DELETE",
        "/shops/{shop_id}/feeds/google-product-reviews/url",
        "revoke_feed_url",
        FEEDS,
        summary="Revoke the secret feed URL (the owner key still reads the feed)",
        tag="feeds",
        auth="owner",
        responses={200: model("FeedUrl", FEED_MODELS)},
    ),
    # --- dashboard
    Route(
        "GET",
        "/shops/{shop_id}/dashboard",
        "dashboard",
        DASHBOARD,
        summary="The owner's console, its overview (HTML; without a live session, the sign-in page)",
        tag="dashboard",
        auth="session",
        responses={200: "text/html"},
        query={"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"},
        page=True,
    ),
    # Sections are GET /dashboard/{section}; each form posts under /dashboard/forms/, a path no section takes.
    Route(
        "GET",
        "/shops/{shop_id}/dashboard/{section}",
        "dashboard_section",
        DASHBOARD,
        summary="A section of the owner's console (HTML); without a live session, the sign-in page; a section's "
        "bad filter is the page again with the error beside it (422)",
        tag="dashboard",
        auth="session",
        responses={200: "text/html", 422: model("ErrorBody", ANSWERS)},
        params={"section": {"type": "string", "enum": [section.name for section in SECTIONS]}},
        query={
            "from": "YYYY-MM-DD (overview; reviews: created on or after)",
            "to": "YYYY-MM-DD (overview; reviews: created on or before)",
            "saved": "1 after a save (settings, referral)",
            "status": "any, pending, published or rejected (reviews); pending, held, issued or void (the referral "
            "section's rewards)",
            "rating": "stars, 1 to 5, or a range such as 1-2 (reviews)",
            "product": "a product id (reviews)",
            "q": "text in a review's title, body or author (reviews); a name or an email, up to 200 characters "
            "(customers)",
            "cursor": "the next page of the same filters (reviews, the referral section's rewards)",
            "after": "the next page of the top advocates (customers)",
            "uploaded": "the pool just filled (referral), with `added`, `already`, `refused` and the first refused "
            "`lines`",
            "decided": "the rewards just approved or denied (referral): `<action>.<done>.<skipped>`",
            "done": "what a form just did (experiments: started, stopped or promoted)",
        },
        page=True,
    ),
    # A section's own pages (a customer, an import) are GET /dashboard/{section}/{item}, dispatched by its module.
    Route(
        "GET",
        "/shops/{shop_id}/dashboard/{section}/{item}",
        "dashboard_item",
        DASHBOARD,
        summary="One thing inside a section of the owner's console (HTML): a customer, an import, a preview; "
        "an import's progress as JSON (Accept: application/json); a download (CSV, or a redirect to a large one); "
        "without a live session, the sign-in page",
        tag="dashboard",
        auth="session",
        responses={200: ("text/html", "application/json", "text/csv"), 303: ""},
        params={"section": {"type": "string", "enum": list(SECTION_MODULES)}, "item": {"type": "string"}},
        page=True,
    ),
    console_form(
        "dashboard_save_settings",
        "settings",
        DASHBOARD,
        "Save the shop's profile and settings from the console (form, CSRF-checked); bad input is the form "
        "again with each error beside its field (422)",
        body="SettingsForm",
    ),
    console_form(
        "dashboard_webhook_secret",
        "webhook-secret",
        DASHBOARD,
        "Set the secret the storefront signs its webhooks with (form, CSRF-checked); bad input is the page "
        "again with the error beside the field (422)",
        body="WebhookSecretForm",
    ),
    console_form(
        "dashboard_connect_store",
        "connection",
        DASHBOARD,
        "Connect the store with one key (form, CSRF-checked): a Shopify access token (and, optionally, the app's API "
        "secret key) or a WooCommerce key pair, checked and kept by PUT /shops/{shop_id}/connection's code; a refusal "
        "is the page again with the error beside the field (422 refused or malformed, 409 another store, 503 the "
        "store could not be asked), never the key",
        body="ConnectForm",
        responses={409: "text/html", 422: "text/html", 503: "text/html"},
    ),
    console_form(
        "dashboard_disconnect_store",
        "connection-delete",
        DASHBOARD,
        "Disconnect the store (form, CSRF-checked): as DELETE /shops/{shop_id}/connection, the key is forgotten",
    ),
    console_form(
        "dashboard_register_webhooks",
        "connection-webhooks",
        DASHBOARD,
        "Register the store's webhooks with it again (form, CSRF-checked): the connect page with what each topic "
        "came to; 409 when the store is not connected, or the error of POST /shops/{shop_id}/connection/webhooks",
        responses={200: "text/html", 409: "text/html", 422: "text/html", 503: "text/html"},
    ),
    console_form(
        "dashboard_test_event",
        "test-event",
        DASHBOARD,
        "Send a signed webhook.test event through the generic webhook's own door (form, CSRF-checked)",
    ),
    console_form(
        "dashboard_retry_parked",
        "retry",
        DASHBOARD,
        "Put one item the due work parked after failing (a review email, an outbound event, a photo, a share card, "
        "an import, an erasure) back on its way (form, CSRF-checked): due now, with a fresh run of attempts; back to "
        "the overview, which says whether it was still parked",
        body="RetryForm",
    ),
    console_form(
        "dashboard_issue_feed_url",
        "feed-url",
        DASHBOARD,
        "Issue a new secret URL of Google's product review feed (form, CSRF-checked); the old one stops",
    ),
    console_form(
        "dashboard_revoke_feed_url", "feed-url-revoke", DASHBOARD, "Turn the feed's secret URL off (form, CSRF-checked)"
    ),
    console_form(
        "dashboard_send_test_email",
        "email-test",
        CONSOLE_EMAILS,
        "Send the previewed review email to one address as a test (form, CSRF-checked): [Test] in its subject, "
        "preview links, no order marked as asked; at most 10 a shop and hour (429 past that); a bad address is "
        "the page again with the error beside it",
        body="SendTestForm",
        models=EMAIL_MODELS,
        responses={429: model("ErrorBody", ANSWERS)},
    ),
    console_form(
        "dashboard_save_email_texts",
        "email-texts",
        CONSOLE_EMAILS,
        "Save the shop's own subject and intro of the review request and reminder in one language (form, "
        "CSRF-checked), through the same code as PATCH /shops/{id}; bad input is the page again with each error "
        "beside its field (422)",
        body="EmailTextsForm",
        models=EMAIL_MODELS,
    ),
    console_form(
        "dashboard_save_referral",
        "referral",
        CONSOLE_REFERRAL,
        "Save the referral program's settings (form, CSRF-checked) through the same code as PATCH /shops/{id} "
        "(settings.referral); bad input is the page again with each error beside its field (422), nothing saved",
        body="ReferralSettingsForm",
        models=REFERRAL_FORM_MODELS,
    ),
    console_form(
        "dashboard_upload_codes",
        "referral-codes/{pool}",
        CONSOLE_REFERRAL,
        "Add codes to the friend or advocate pool from the console (form, CSRF-checked; multipart/form-data with a "
        "file): pasted one a line and/or a CSV or text file, as POST /shops/{id}/referral/codes/{pool} adds them; back "
        "to the section with what was added, already there and refused by line. A file that is not UTF-8, or nothing "
        "to add, is the page again with the error beside its field (422), nothing added",
        body="CodesUploadForm",
        models=REFERRAL_FORM_MODELS,
        params={"pool": {"type": "string", "enum": list(REFERRAL_POOLS)}},
    ),
    Route(
        "POST",
        "/shops/{shop_id}/dashboard/session",
        "dashboard_sign_in",
        DASHBOARD,
        summary="Sign in with the owner API key (form)",
        tag="dashboard",
        auth="owner-form",
        body=model("DashboardSignIn", CONSOLE_MODELS),
        form=True,
        json_body=False,
        responses={303: ""},
        page=True,
    ),
    Route(
        "POST",
        "/shops/{shop_id}/dashboard/logout",
        "dashboard_sign_out",
        DASHBOARD,
        summary="Sign out (form, CSRF-checked): the session ends on the server too",
        tag="dashboard",
        auth="session-form",
        body=model("DashboardForm", CONSOLE_MODELS),
        form=True,
        json_body=False,
        responses={303: ""},
        page=True,
    ),
    console_form(
        "dashboard_moderate",
        "reviews/{review_id}/{action}",
        DASHBOARD,
        "Publish, reject or reply to a review, or hide or show one of its photos, from the console (form, "
        "CSRF-checked); back to the page the form was on (the overview or the reviews section with its filters); "
        "a bad reply is that page again with the error beside the reply (422)",
        params={"action": {"type": "string", "enum": list(MODERATION_ACTIONS)}},
    ),
    console_form(
        "dashboard_import_job",
        "import/{job_id}/{action}",
        CONSOLE_IMPORT,
        "Confirm a checked CSV import (it then runs chunk by chunk), or cancel an import (form, CSRF-checked)",
        body="ImportJobForm",
        models=IMPORT_MODELS,
        params={
            "job_id": {"type": "string", "pattern": "^imp-[0-9]{8}t[0-9]{12}-[0-9a-f]{16}$"},
            "action": {"type": "string", "enum": list(IMPORT_ACTIONS)},
        },
    ),
    console_form(
        "dashboard_decide_rewards",
        "rewards",
        CONSOLE_REFERRAL,
        "Approve or deny the ticked held rewards, at most 100 (form, CSRF-checked); back to the referral section "
        "with how many were decided and how many were no longer held",
        body="RewardsDecisionForm",
        models=REFERRAL_FORM_MODELS,
    ),
    console_form(
        "dashboard_start_experiment",
        "experiments",
        CONSOLE_EXPERIMENTS,
        "Start an experiment from the console (form, CSRF-checked) through the same code as POST "
        "/shops/{id}/experiments, variant A being the lever's current setting; on to its page. A refusal is the "
        "section again with each problem beside its field (422; 409 lever_busy)",
        body="ExperimentForm",
        responses={409: "text/html", 422: "text/html"},
    ),
    console_form(
        "dashboard_stop_experiment",
        "experiments/{experiment_id}/stop",
        CONSOLE_EXPERIMENTS,
        "Stop an experiment from the console (form, CSRF-checked) through the same code as POST "
        ".../experiments/{id}/stop; back to its page (409 there when it ended already)",
        params=EXPERIMENT_ID,
        responses={409: "text/html"},
    ),
    console_form(
        "dashboard_promote_experiment",
        "experiments/{experiment_id}/promote",
        CONSOLE_EXPERIMENTS,
        "Promote a variant from the console (form, CSRF-checked) through the same code as POST "
        ".../experiments/{id}/promote: its value becomes the shop's setting; back to its page (409 there when it "
        "ended already, 422 for a variant it does not have)",
        body="PromoteExperimentForm",
        params=EXPERIMENT_ID,
        responses={409: "text/html", 422: "text/html"},
    ),
    console_form(
        "dashboard_bulk_moderate",
        "reviews-bulk",
        CONSOLE_REVIEWS,
        "Publish or reject the ticked reviews, at most 100 (form, CSRF-checked); back to the reviews section with "
        "what became of each (published, already so, not found, refused and why)",
        body="BulkModerationForm",
        models=MODERATION_MODELS,
    ),
    # --- first run
    Route(
        "GET",
        "/setup",
        "setup_page",
        SETUP,
        summary="First run (HTML): the form that creates the instance's shop, while it has none",
        tag="setup",
        responses={200: "text/html"},
        page=True,
    ),
    Route(
        "POST",
        "/setup",
        "setup",
        SETUP,
        summary="Create the instance's first shop from the admin token (form); shows the owner key once and signs in. "
        "Bad input is the form again with each error beside its field (422); once a shop exists, 409",
        tag="setup",
        auth="admin-form",
        body=model("SetupForm", CONSOLE_MODELS),
        form=True,
        json_body=False,
        responses={201: "text/html"},
        page=True,
    ),
)

# operation name -> its route
DECLARED: dict[str, Route] = {route.name: route for route in TABLE}
if len(DECLARED) != len(TABLE):
    raise RuntimeError("an operation is declared twice in the route table")
