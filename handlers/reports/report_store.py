"""The copy of every ended execution's report in the reports bucket:
``reports/<accountId>/<executionId>.json`` and ``.html`` (the bucket is versioned, so a later
rewrite, e.g. after a cleanup, keeps the earlier copy).

Writing is best effort by design: the ending is recorded before this runs and must stand whatever
S3 does. A failed write is retried; after the last attempt it is logged and counted
(``ReportWriteFailures``, alarmable) and the report stays available from the API."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from handlers import aws
from handlers.core.observability import count, logger
from handlers.core.settings import get_settings
from handlers.models.execution import Execution
from handlers.reports.report_formats import to_html
from handlers.reports.reports import build_report

ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 1.0)


def report_key(account_id: str, execution_id: str, extension: str) -> str:
    return f"reports/{account_id}/{execution_id}.{extension}"


def store_report(execution: Execution) -> bool:
    """Write the JSON and HTML report; True when both were written."""
    bucket = get_settings().reports_bucket
    if not bucket:
        logger.warning(
            "no reports bucket configured: report not stored", extra={"executionId": execution.executionId}
        )
        return False
    report = build_report(execution)
    bodies = {
        "json": (json.dumps(report, indent=1), "application/json"),
        "html": (to_html(report, for_response=False), "text/html; charset=utf-8"),
    }
    written = [
        _put(bucket, report_key(execution.accountId, execution.executionId, ext), body, content_type)
        for ext, (body, content_type) in bodies.items()
    ]
    return all(written)


def _s3() -> Any:
    return aws.client("s3")


def _put(bucket: str, key: str, body: str, content_type: str) -> bool:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _s3().put_object(
                Bucket=bucket,
                Key=key,
                Body=body.encode(),
                ContentType=content_type,
                ServerSideEncryption="AES256",
            )
            return True
        except (ClientError, BotoCoreError) as exc:
            error = (
                exc.response.get("Error", {}).get("Code", "")
                if isinstance(exc, ClientError)
                else type(exc).__name__
            )
            if attempt == ATTEMPTS:
                count("ReportWriteFailures")
                logger.error("report not written", extra={"key": key, "error": error, "attempts": attempt})
                return False
            time.sleep(BACKOFF_SECONDS[attempt - 1])
    return False
