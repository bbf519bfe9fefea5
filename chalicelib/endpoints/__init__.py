"""HTTP endpoints, framework-neutral: parse, authorize, call the domain, shape the answer."""

from __future__ import annotations

from chalicelib.endpoints import dashboard, public, reports, reviews, sharing, shops, system, webhooks  # noqa: F401 - registers
from chalicelib.endpoints.registry import OPERATIONS, dispatch

__all__ = ["OPERATIONS", "dispatch"]
