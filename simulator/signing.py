"""X-Twilio-Signature, computed as Twilio computes it (reference §5.1).

Written independently of the SDK's RequestValidator, so that tests which validate with the
SDK check a second implementation rather than the same code twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """HMAC-SHA1 over the URL followed by each name+value, names sorted, values sorted."""
    pairs = sorted(params)
    payload = url + "".join(name + value for name, value in pairs)
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
