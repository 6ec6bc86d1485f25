"""API errors with the bodies Azure OpenAI and OpenAI send, so clients' error handling sees the real shapes."""

from __future__ import annotations

from starlette.responses import JSONResponse

UNAUTHORIZED_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


class ApiError(Exception):
    """An error response: HTTP status plus the `error` object of the envelope."""

    def __init__(self, status: int, error: dict[str, str | None]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error}, status_code=self.status)


def invalid_request(message: str, param: str | None, code: str | None = "invalid_value") -> ApiError:
    """400 `invalid_request_error`, as both services send for bad fields."""
    return ApiError(400, {"code": code, "message": message, "param": param, "type": "invalid_request_error"})


def unknown_parameter(name: str) -> ApiError:
    return invalid_request(f"Unknown parameter: '{name}'.", name, "unknown_parameter")


def not_found() -> ApiError:
    """Azure's answer to a wrong path, deployment or api-version."""
    return ApiError(404, {"code": "404", "message": "Resource not found"})


def unauthorized() -> ApiError:
    """Azure's answer to a missing or wrong key; it never repeats the key presented."""
    return ApiError(401, {"code": "401", "message": UNAUTHORIZED_MESSAGE})


def moderation_blocked(request_id: str) -> ApiError:
    """The GPT-image safety refusal (400, `image_generation_user_error`), naming the request id."""
    message = (
        "Your request was rejected by the safety system. If you believe this is an error, contact us at "
        f"Azure support ticket and include the request ID {request_id}."
    )
    return ApiError(
        400,
        {"code": "moderation_blocked", "message": message, "param": None, "type": "image_generation_user_error"},
    )
