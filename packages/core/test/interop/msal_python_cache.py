"""The MSAL Python side of the o365-ts <-> python-o365 2.1 token-file interop test.

Run with Debian's interpreter (`/usr/bin/python3`, package `python3-msal`). Reads one JSON request
on stdin, prints one JSON answer on stdout. The answer never holds a token: access tokens are
reported as a short SHA-256 fingerprint so the test can tell "served from the file" from
"freshly issued" without any secret crossing a pipe or a log.

Commands:
  sign-in   python-o365 2.1's password flow: `acquire_token_by_username_password`, then the token
            backend writes the cache file.
  use       python-o365 2.1 loading a file: find the account, `acquire_token_silent` (cache),
            then `force_refresh=True` (a real refresh with the file's refresh token), save.
  accounts  load a file and list `get_accounts()` (no network).
"""

import hashlib
import json
import sys
from pathlib import Path

import msal
import requests
from msal.token_cache import TokenCache


class O365FileSystemTokenBackend(TokenCache):
    """What python-o365 2.1's `FileSystemTokenBackend` does with the file, nothing more.

    python-o365 2.1 (`O365/utils/token.py`): `BaseTokenBackend(msal.token_cache.TokenCache)` with
    `serialize()` = `json.dumps(self._cache, indent=4)` (the same text as
    `msal.SerializableTokenCache.serialize()`), `load_token()` refuses a pre-2.1 file (top-level
    `access_token`) and sets `self._cache` from the JSON, `save_token()` writes the whole file
    with `open('w')`. The backend instance is passed to MSAL as `token_cache`.
    """

    def __init__(self, token_path):
        super().__init__()
        self.token_path = Path(token_path)

    def serialize(self):
        with self._lock:
            return json.dumps(self._cache, indent=4)

    def load_token(self):
        if not self.token_path.exists():
            return False
        with self.token_path.open("r") as token_file:
            text = token_file.read()
        token_dict = json.loads(text) if text else {}
        if "access_token" in token_dict:
            raise ValueError("pre-2.1 token file")
        self._cache = token_dict
        return True

    def save_token(self):
        if not self._cache:
            return False
        self.token_path.parent.mkdir(parents=True, exist_ok=True)
        with self.token_path.open("w") as token_file:
            token_file.write(self.serialize())
        return True


def fingerprint(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16] if token else None


def outcome(result):
    """What a token result says, without its secrets."""
    if result is None:
        return {"ok": False, "error": "no_result"}
    if "access_token" in result:
        return {
            "ok": True,
            "fingerprint": fingerprint(result["access_token"]),
            "hasRefreshToken": "refresh_token" in result,
            "scope": result.get("scope"),
        }
    return {"ok": False, "error": result.get("error"), "codes": result.get("error_codes")}


def application(req, cache):
    session = requests.Session()
    session.verify = req["caFile"]  # the emulator's self-signed certificate
    session.trust_env = False  # loopback only: no proxy from the environment
    return msal.PublicClientApplication(
        req["clientId"],
        authority=req["authority"],
        token_cache=cache,
        http_client=session,
        # The emulator is not one of Microsoft's hosts: no call to login.microsoftonline.com.
        instance_discovery=False,
    )


def account_list(app):
    return [
        {"username": a.get("username"), "homeAccountId": a.get("home_account_id"), "environment": a.get("environment")}
        for a in app.get_accounts()
    ]


def sign_in(req):
    backend = O365FileSystemTokenBackend(req["tokenFile"])
    app = application(req, backend)
    result = app.acquire_token_by_username_password(req["username"], req["password"], scopes=req["scopes"])
    answer = {"signIn": outcome(result)}
    answer["saved"] = backend.save_token() if answer["signIn"]["ok"] else False
    answer["accounts"] = account_list(app)
    return answer


def use(req):
    backend = O365FileSystemTokenBackend(req["tokenFile"])
    answer = {"loaded": backend.load_token()}
    app = application(req, backend)
    answer["accounts"] = account_list(app)
    matches = app.get_accounts(username=req["username"])
    if not matches:
        return answer
    answer["silent"] = outcome(app.acquire_token_silent(req["scopes"], account=matches[0]))
    answer["forced"] = outcome(app.acquire_token_silent(req["scopes"], account=matches[0], force_refresh=True))
    answer["saved"] = backend.save_token()
    return answer


def accounts(req):
    backend = O365FileSystemTokenBackend(req["tokenFile"])
    answer = {"loaded": backend.load_token()}
    answer["accounts"] = account_list(application(req, backend))
    return answer


def main():
    req = json.loads(sys.stdin.read())
    commands = {"sign-in": sign_in, "use": use, "accounts": accounts}
    answer = commands[req["command"]](req)
    answer["msalVersion"] = msal.__version__
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
