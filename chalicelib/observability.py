"""Shared Powertools logger, metrics and tracer, configured by POWERTOOLS_* variables."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="proofloop")
metrics = Metrics(namespace="Proofloop", service="proofloop")
tracer = Tracer(service="proofloop")
