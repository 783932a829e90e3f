"""A mastodon-mock server process that is one node of a miniature fediverse (tests only).

Run as ``python -m tests.fedimock SPEC.json``.  The spec names the port, the public domain and
scheme (HTTPS with a certificate and key, or HTTP), the accounts (local ones with tokens, and
remote ones with the ``domain`` of their home server), and the statuses this server holds,
with explicit local ids: its own, and copies of remote ones whose ``url`` is the home server's
URI, as a real instance stores what federated to it.  Reblogs and favourites are rows too.

mastodon-mock builds every account URL from its own domain (``https://here/@name@there``),
where a real server reports a remote account's own profile URL; a small ASGI wrapper rewrites
``url``/``uri`` of remote accounts in JSON responses to ``SCHEME://there/@name``, so an account
has one key whichever server it is seen through, as on the real fediverse.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def _rewrite(obj: Any, schemes: dict[str, str]) -> Any:
    if isinstance(obj, list):
        return [_rewrite(x, schemes) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _rewrite(v, schemes) for k, v in obj.items()}
    acct, user = out.get("acct"), out.get("username")
    if isinstance(acct, str) and "@" in acct and isinstance(user, str) and "url" in out:
        domain = acct.split("@", 1)[1]
        url = f"{schemes.get(domain, 'https')}://{domain}/@{user}"
        out["url"] = url
        if "uri" in out:
            out["uri"] = url
    return out


class RewriteJson:
    """ASGI middleware: every JSON response body passed through ``rewrite`` (a function of the
    parsed document), its length header set again."""

    def __init__(self, app: Any, rewrite: Callable[[Any], Any]) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = list(start.get("headers", []))
            is_json = any(k == b"content-type" and b"json" in v for k, v in headers)
            if is_json and body:
                with contextlib.suppress(ValueError):
                    body = json.dumps(self.rewrite(json.loads(body))).encode()
                headers = [(k, v) for k, v in headers if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


class Federated(RewriteJson):
    """ASGI middleware: remote accounts' URLs point at their home servers."""

    def __init__(self, app: Any, schemes: dict[str, str]) -> None:
        super().__init__(app, lambda doc: _rewrite(doc, schemes))
        self.schemes = schemes


def seed(app: Any, spec: dict[str, Any]) -> None:
    """Insert the spec's remote accounts, statuses, reblogs and favourites."""
    from mastodon_mock.db.models import Account, Favourite, Status
    from mastodon_mock.services import attach_mentions_and_tags
    from sqlalchemy import select

    with app.state.session_factory() as session:
        accounts: dict[str, Any] = {}
        for a in spec["accounts"]:
            found = session.scalar(
                select(Account).where(
                    Account.username == a["username"], Account.domain == a.get("domain")
                )
            )
            if found is None:
                found = Account(
                    username=a["username"],
                    domain=a.get("domain"),
                    display_name=a["username"].title(),
                    fields=[],
                    created_at=datetime(2026, 1, 1),
                )
                session.add(found)
                session.flush()
            accounts[a["key"]] = found
        for s in spec["statuses"]:
            created = datetime.fromisoformat(s["created_at"]).astimezone(UTC).replace(tzinfo=None)
            status = Status(
                id=s["id"],
                account_id=accounts[s["account"]].id,
                content=f"<p>{s['text']}</p>",
                text=s["text"],
                created_at=created,
                visibility="public",
                edit_history=[],
                in_reply_to_id=s.get("in_reply_to_id"),
                in_reply_to_account_id=s.get("in_reply_to_account_id")
                and accounts[s["in_reply_to_account_id"]].id,
                reblog_of_id=s.get("reblog_of_id"),
                url=s.get("url"),
            )
            session.add(status)
            session.flush()
            if not s.get("reblog_of_id"):
                attach_mentions_and_tags(session, status.id, status.account_id, s["text"])
        for who, status_id in spec.get("favourites", []):
            session.add(Favourite(account_id=accounts[who].id, status_id=status_id))
        session.commit()


def main(path: str) -> None:
    import uvicorn
    from mastodon_mock.app import create_app
    from mastodon_mock.config import (
        DatabaseConfig,
        MastodonMockConfig,
        SeedAccount,
        SeedConfig,
        StreamingConfig,
    )

    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    local = [
        SeedAccount(username=a["username"], access_token=a.get("token"))
        for a in spec["accounts"]
        if not a.get("domain")
    ]
    config = MastodonMockConfig(
        domain=spec["domain"],
        url_scheme=spec["scheme"],
        database=DatabaseConfig(path=":memory:"),
        seed=SeedConfig(accounts=local),
        streaming=StreamingConfig(enabled=False),
    )
    app = create_app(config)
    seed(app, spec)
    uvicorn.run(
        Federated(app, spec.get("schemes", {})),
        host="127.0.0.1",
        port=spec["port"],
        log_level="warning",
        ssl_certfile=spec.get("certfile"),
        ssl_keyfile=spec.get("keyfile"),
    )


if __name__ == "__main__":
    main(sys.argv[1])
