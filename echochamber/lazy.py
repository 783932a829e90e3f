"""Names a package declares but loads on first use (PEP 562), so importing it costs nothing.

``store`` and ``models`` use it: a command imports the package, and pays only for the modules
whose names it touches.  Type checkers see the names through ``if TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, whose names live in the modules of
    ``where`` (name -> module); a loaded name is kept in ``namespace`` (the package's globals).

    >>> ns: dict[str, Any] = {}
    >>> get, names = lazy_names("pkg", {"sqrt": "math"}, ns)
    >>> get("sqrt")(9.0), "sqrt" in ns, names()
    (3.0, True, ['sqrt'])
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
