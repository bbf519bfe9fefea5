"""Shared Powertools logger and metrics, and a tracer built only where tracing is on."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger(service="proofloop")
metrics = Metrics(namespace="Proofloop", service="proofloop")


def tracing_enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() != "true"


@lru_cache(maxsize=1)
def get_tracer() -> Tracer:
    """The X-Ray tracer (patches boto clients); importing X-Ray costs ~130 ms, so only when tracing."""
    from aws_lambda_powertools import Tracer

    return Tracer(service="proofloop")
