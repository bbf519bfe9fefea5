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
def get_tracer() -> Tracer | None:
    """The X-Ray tracer (patches boto clients), only where tracing is on: importing X-Ray costs ~130 ms.

    aws-xray-sdk is not packaged (it brings its own botocore, ~20 MB); Lambda's own X-Ray tracing of the
    invocation works without it. Add it to requirements.txt to get Powertools' subsegments too.
    """
    from importlib.util import find_spec

    if find_spec("aws_xray_sdk") is None:
        logger.warning("tracing is on but aws-xray-sdk is not installed; no subsegments")
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service="proofloop")
