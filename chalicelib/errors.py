"""Domain errors and their one mapping to HTTP status codes."""

from __future__ import annotations

from typing import Any


class ProofloopError(Exception):
    """Base of every error the API answers deliberately."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class BadRequest(ProofloopError):
    status = 400
    code = "bad_request"


class InvalidJson(ProofloopError):
    status = 400
    code = "invalid_json"


class ValidationFailed(ProofloopError):
    status = 422
    code = "validation_failed"


class Unauthorized(ProofloopError):
    status = 401
    code = "unauthorized"


class Forbidden(ProofloopError):
    status = 403
    code = "forbidden"


class NotFound(ProofloopError):
    status = 404
    code = "not_found"


class Conflict(ProofloopError):
    status = 409
    code = "conflict"


class Gone(ProofloopError):
    status = 410
    code = "gone"


class PayloadTooLarge(ProofloopError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ProofloopError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(ProofloopError):
    """Over a limit for now: the answer says when to try again (Retry-After, seconds)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class NotConfigured(ProofloopError):
    """A secret this deployment needs is not set: refuse, never fall back to a development value."""

    status = 503
    code = "not_configured"


class RetryLater(ProofloopError):
    """A dependency failed after its retries: the caller should deliver again."""

    status = 503
    code = "retry_later"


# What a channel's service (mail, SMS...) answers when it refuses an outgoing message. Not HTTP errors: the due work
# parks the buyer's request on the first and stops sending on the second.
class RecipientRefused(Exception):
    """The service refused one message for what it is (a recipient it will not send to), not for being down: the
    sender may say so and carry on."""


class ChannelSetupRefused(RecipientRefused):
    """The service refuses every message from us, whatever its recipient: the sender is not verified, a
    configuration set is missing, sending is paused or not allowed. No buyer is at fault; the account is.
    A refusal of every recipient at once, so whoever catches the per-recipient refusal catches it too."""


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
