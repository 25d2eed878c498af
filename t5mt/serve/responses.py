"""The JSON answers of errors: 400 for broken JSON, 422 naming the field, 500 with an error id."""

import logging
import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from t5mt.serve.schemas import ErrorResponse

log = logging.getLogger(__name__)

# The error answers, as documented in the OpenAPI spec of every route that gives them.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 413, 422, 500, 503, 504)
}


def error_response(
    status: int, error: str, details: list[str] | None = None, error_id: str | None = None
) -> JSONResponse:
    """The JSON body of every error answer."""
    body = ErrorResponse(error=error, details=details or [], error_id=error_id)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status)


def describe_invalid(error: RequestValidationError, request: Request) -> tuple[int, str, list[str]]:
    """400 for a body that is not JSON, 422 naming each field that breaks the schema."""
    problems = error.errors()
    for problem in problems:
        if problem["type"] == "json_invalid":
            reason = problem.get("ctx", {}).get("error", "not JSON")
            return 400, f"invalid JSON at character {problem['loc'][-1]}: {reason}", []
    details = [
        f"{'.'.join(str(part) for part in problem['loc'][1:]) or 'body'}: "
        + problem["msg"].removeprefix("Value error, ")
        for problem in problems
    ]
    message = f"invalid request: {details[0]}"
    if request.method == "POST" and "json" not in request.headers.get("content-type", ""):
        message += " (send a JSON object with Content-Type: application/json)"
    return 422, message, details


def internal_error(message: str, error: BaseException) -> tuple[JSONResponse, str]:
    """A 500 answer and its error id, which the log repeats with the traceback."""
    error_id = uuid.uuid4().hex[:12]
    log.error("%s (error id %s)", message, error_id, exc_info=error)
    return error_response(500, message, error_id=error_id), error_id
