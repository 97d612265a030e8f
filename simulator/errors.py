"""Twilio's errors as named classes: REST errors (a JSON body and an HTTP status) and the
codes of the notifications Twilio logs on a call (a webhook that failed, bad TwiML).

Each REST error carries Twilio's code, HTTP status and default message; `more_info` points
at Twilio's page for the code (https://www.twilio.com/docs/errors/<code>). Codes and titles
were checked against those pages; see simulator/README.md ("Errors").
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class ApiError(Exception):
    """A REST error in Twilio's shape: {code, message, more_info, status}."""

    STATUS: ClassVar[int] = 400
    CODE: ClassVar[int] = 20001
    MESSAGE: ClassVar[str] = "Invalid parameter"

    def __init__(self, message: str | None = None, *, status: int | None = None) -> None:
        self.status = status or self.STATUS
        self.code = self.CODE
        self.message = message or self.MESSAGE
        super().__init__(self.message)

    @property
    def more_info(self) -> str:
        return MORE_INFO.format(code=self.code)

    def to_json(self) -> dict[str, Any]:
        # No "type"/"title": with them twilio-python raises TwilioServiceException instead.
        return {
            "code": self.code,
            "message": self.message,
            "more_info": self.more_info,
            "status": self.status,
        }


# ----------------------------------------------------------------------------- 20xxx: the API


class InvalidParameter(ApiError):
    """A parameter Twilio would refuse that has no code of its own (20001's page calls it
    "Unknown parameters"; Twilio's generic code for a bad parameter is not documented)."""


class AuthenticationFailed(ApiError):
    STATUS = 401
    CODE = 20003
    MESSAGE = "Authenticate"


class NotFound(ApiError):
    STATUS = 404
    CODE = 20404
    MESSAGE = "The requested resource was not found"

    def __init__(self, path: str | None = None) -> None:
        super().__init__(f"The requested resource {path} was not found" if path else None)


class CallNotFound(NotFound):
    def __init__(self, sid: str) -> None:
        super().__init__(f"/Calls/{sid}.json")


class ConferenceNotFound(NotFound):
    def __init__(self, sid: str) -> None:
        super().__init__(f"/Conferences/{sid}.json")


class ParticipantNotFound(NotFound):
    def __init__(self, conference_sid: str, call: str) -> None:
        super().__init__(f"/Conferences/{conference_sid}/Participants/{call}.json")


class PhoneNumberNotFound(NotFound):
    def __init__(self, sid: str) -> None:
        super().__init__(f"/IncomingPhoneNumbers/{sid}.json")


class RequestTooLarge(ApiError):
    STATUS = 413
    CODE = 20413
    MESSAGE = "Request entity too large"


class TooManyRequests(ApiError):
    STATUS = 429
    CODE = 20429
    MESSAGE = "Too Many Requests"


class InternalServerError(ApiError):
    STATUS = 500
    CODE = 20500
    MESSAGE = "Internal Server Error"


class ServiceUnavailable(ApiError):
    STATUS = 503
    CODE = 20503
    MESSAGE = "Service Unavailable"


def injected(status: int) -> ApiError:
    """The error an injected HTTP status stands for (a fault asked for by a test)."""
    for error in (AuthenticationFailed, NotFound, TooManyRequests, ServiceUnavailable):
        if status == error.STATUS:
            return error()
    return InternalServerError(status=status)


# ----------------------------------------------------------------------------- 21xxx: calls


class ToMissing(ApiError):
    CODE = 21201
    MESSAGE = "No 'To' number is specified"


class InvalidUrl(ApiError):
    CODE = 21205
    MESSAGE = "Url parameter is not a valid URL"


class InvalidTimeout(ApiError):
    CODE = 21208
    MESSAGE = "Invalid Timeout"


class FromNotOwned(ApiError):
    CODE = 21210

    def __init__(self, number: str) -> None:
        super().__init__(
            f"Caller phone number {number} is not a valid Twilio number or verified caller ID"
        )


class FromNotVoiceCapable(ApiError):
    """An owned number without voice capability as From. Twilio documents no code of its
    own for it (21606 and its kin are messaging codes); 21210's page covers a From that is
    no usable voice caller ID, so the simulator answers with it (simulator/README.md)."""

    CODE = 21210

    def __init__(self, number: str) -> None:
        super().__init__(f"Caller phone number {number} is not a voice-capable Twilio number")


class InvalidTo(ApiError):
    CODE = 21211

    def __init__(self, number: str) -> None:
        super().__init__(f"The 'To' number {number} is not a valid phone number.")


class InvalidFrom(ApiError):
    CODE = 21212

    def __init__(self, number: str) -> None:
        super().__init__(f"Invalid From Number (caller ID): {number}")


class FromMissing(ApiError):
    CODE = 21213
    MESSAGE = "No 'From' number is specified"


class DestinationNotAllowed(ApiError):
    """Geo permissions do not allow the destination."""

    CODE = 21215

    def __init__(self, number: str) -> None:
        super().__init__(f"Account not authorized to call {number}")


class ToNotValid(ApiError):
    CODE = 21217

    def __init__(self, number: str) -> None:
        super().__init__(f"Phone number {number} does not appear to be valid")


class CallNotInProgress(ApiError):
    """21220, "Invalid call state": a redirect (or delete) that needs another state."""

    CODE = 21220
    MESSAGE = "Call is not in-progress. Cannot redirect."


class InvalidNumberUrl(ApiError):
    """21402: a phone number's VoiceUrl (or StatusCallback) that is not a URL."""

    CODE = 21402
    MESSAGE = "Invalid Url"


class InvalidNumberMethod(ApiError):
    """21403: a phone number's VoiceMethod (or StatusCallbackMethod) other than GET/POST."""

    CODE = 21403
    MESSAGE = "Invalid Method"


class InvalidStatusCallbackEvent(ApiError):
    CODE = 21626

    def __init__(self, event: str) -> None:
        super().__init__(f"Invalid StatusCallbackEvent: {event}")


class TwimlTooLong(ApiError):
    CODE = 32018
    MESSAGE = "Twiml size exceeded maximum allowed value of 4000 characters"


# ----------------------------------------------------------------------------- notifications


class Notice(IntEnum):
    """Codes of the notifications (debugger events) Twilio logs on a call."""

    HTTP_RETRIEVAL_FAILURE = 11200  # the application answered 4xx/5xx or garbage
    HTTP_CONNECTION_FAILURE = 11205  # unreachable, refused, or slower than the timeout
    DOCUMENT_PARSE_FAILURE = 12100  # TwiML Twilio cannot run
    DIAL_INVALID_NUMBER = 13224  # <Dial><Number> Twilio cannot call
    CALLBACK_ERROR_RESPONSE = 15003  # a status callback answered 4xx/5xx

    @property
    def log(self) -> int:
        """The notification's log level: 0 for an error, 1 for a warning (each code's
        page in Twilio's error dictionary gives it; only 15003 is a warning here)."""
        return 1 if self is Notice.CALLBACK_ERROR_RESPONSE else 0


class DialRefused(ValueError):
    """A simulated inbound call that cannot be placed (POST /_sim/dial, sim.dial)."""


class WebhookError(Exception):
    """The application could not be reached, answered an error, or was too slow; `status`
    is the HTTP status it answered, if it answered at all."""

    def __init__(self, code: Notice, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
