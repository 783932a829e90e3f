"""A mastodon-mock server whose accounts' consent fields a test sets (tests only).

mastodon-mock sets ``note``, ``fields`` and ``discoverable`` through its real
``update_credentials`` endpoint, but always reports ``noindex: null`` and ``indexable: false``
(it has no setting for either).  A small ASGI wrapper, like ``tests/fedimock.py``'s, rewrites
the Account objects of its JSON responses: every account reads ``indexable: true`` (people
who opted in to search) unless the test's ``profiles`` say otherwise, and ``noindex`` is what
``profiles`` says.  Everything else is the mock's own answer over real HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.fedimock import RewriteJson

Profiles = dict[str, dict[str, Any]]
"""username -> the Account fields it reports (``{"noindex": True}``)."""


def _rewrite(obj: Any, profiles: Profiles) -> Any:
    if isinstance(obj, list):
        return [_rewrite(x, profiles) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _rewrite(v, profiles) for k, v in obj.items()}
    user = out.get("username")
    if isinstance(user, str) and "acct" in out and "indexable" in out:
        out["indexable"] = True
        out.update(profiles.get(user, {}))
    return out


class Consented(RewriteJson):
    """ASGI middleware applying ``profiles`` to every Account object in JSON responses."""

    def __init__(self, app: Any, profiles: Profiles) -> None:
        super().__init__(app, lambda doc: _rewrite(doc, profiles))
        self.profiles = profiles


@contextlib.contextmanager
def consent_server(users: dict[str, str], profiles: Profiles) -> Iterator[Any]:
    """A started mastodon-mock (``users``: username -> display name; token ``<user>_token``)
        behind :class:`Consented`, naming itself by its own address (so it is its accounts' home
    server, and a post it no longer has is gone); ``profiles`` may be changed while it runs."""
    import mastodon_mock.app as mock_app
    from mastodon_mock.config import SeedAccount, SeedConfig
    from mastodon_mock.testing import MockServer

    seed = SeedConfig(
        accounts=[
            SeedAccount(username=u, display_name=name, access_token=f"{u}_token")
            for u, name in users.items()
        ]
    )
    original = mock_app.create_app
    mock_app.create_app = lambda config: Consented(original(config), profiles)  # type: ignore[assignment,misc]
    try:
        server = MockServer(seed=seed).start()
    finally:
        mock_app.create_app = original
    # the server is its accounts' home, as a real one is (its answers about them count)
    server.config.domain = f"127.0.0.1:{server.port}"
    server.config.url_scheme = "http"
    try:
        yield server
    finally:
        server.stop()
