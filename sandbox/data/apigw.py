"""Turn an HTTP request into the API Gateway REST (v1) proxy event a Lambda behind it receives,
and the function's proxy response back into HTTP.

The Cognito authorizer is replaced by two headers: ``X-Sandbox-Account`` becomes the claim
``custom:accountId`` and ``X-Sandbox-User`` becomes ``cognito:username`` and, when it is an email
address, a verified ``email`` (as a Cognito user who confirmed their address), so one sandbox person
can be tried in Slack and through the API (``/_sandbox/info`` ``slackUserEmails``). A request
without ``X-Sandbox-Account`` stands for a signed-in identity with no account claim, which the API
refuses (403 FORBIDDEN), so that rule can be tried locally; the sandbox's own clients send it.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_HEADER = "X-Sandbox-Account"
USER_HEADER = "X-Sandbox-User"
DEFAULT_USER = "sandbox-user@example.com"


def proxy_event(
    method: str,
    raw_path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    stage: str,
    default_account: str,
    claims: bool = True,
) -> dict[str, Any]:
    parts = urlsplit(raw_path)
    multi_query = parse_qs(parts.query, keep_blank_values=True)
    text, is_base64 = _body_text(body)
    context: dict[str, Any] = {
        "accountId": default_account,
        "apiId": "sandbox",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "httpMethod": method,
        "path": f"/{stage}{parts.path}",
        "resourcePath": "/{proxy+}",
        "protocol": "HTTP/1.1",
        "requestTimeEpoch": int(time.time() * 1000),
        "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
    }
    if claims:
        context["authorizer"] = {"claims": _claims(headers)}
    return {
        "resource": "/{proxy+}",
        "path": parts.path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": parts.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _claims(headers: dict[str, str]) -> dict[str, str]:
    user = _header(headers, USER_HEADER) or DEFAULT_USER
    claims = {"cognito:username": user, "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, user))}
    if "@" in user:
        claims |= {"email": user, "email_verified": "true"}
    account = _header(headers, ACCOUNT_HEADER)
    if account:
        claims["custom:accountId"] = account
    return claims


def _header(headers: dict[str, str], name: str) -> str:
    """HTTP header names are case-insensitive (urllib and browsers may send ``X-sandbox-account``)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def _body_text(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def http_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A Lambda proxy result -> (status, headers, body). Anything else is a 502, as API Gateway says."""
    if not isinstance(result, dict) or "statusCode" not in result:
        problem = {"message": "Internal server error", "sandbox": "malformed Lambda proxy response"}
        return 502, {"Content-Type": "application/json"}, json.dumps(problem).encode()
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(v) for v in values)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return int(result["statusCode"]), headers, body
