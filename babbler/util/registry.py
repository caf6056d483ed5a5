"""Registries filled by discovery: every module of a package that declares a registry's attribute is a member, and
so is every module named in the BABBLER_PLUGINS environment variable (a user's own voices, corpora, systems and frame
models, kept outside the package: docs/extending.md)."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterable
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")
PLUGINS_ENV = "BABBLER_PLUGINS"


def plugin_modules() -> list[ModuleType]:
    """The modules BABBLER_PLUGINS names (comma-separated, importable from PYTHONPATH), imported once."""
    names = [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise ImportError(f"{PLUGINS_ENV} names {name!r}, which cannot be imported: {exc}") from exc
    return modules


def members(modules: Iterable[ModuleType], attrs: str | tuple[str, ...], kind: type[T]) -> list[T]:
    """Every member the modules declare under `attrs` (each one `kind`, or a tuple of them), attribute by attribute
    in module order. Two members of one name are an error."""
    found: list[T] = []
    modules = list(modules)
    for attr in (attrs,) if isinstance(attrs, str) else attrs:
        for module in modules:
            value = getattr(module, attr, None)
            declared: Iterable = value if isinstance(value, tuple | list) else [value]
            found.extend(m for m in declared if isinstance(m, kind))
    names = [getattr(m, "name") for m in found]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise RuntimeError(f"two {' or '.join([attrs] if isinstance(attrs, str) else attrs)} declarations share "
                           f"the name(s) {twice}")
    return found


def discover(package: str, attrs: str | tuple[str, ...], kind: type[T]) -> list[T]:
    """Every `attr` declared by a module of `package` (in name order) and then by the plugins (see `members`)."""
    pkg = importlib.import_module(package)
    modules = [importlib.import_module(f"{package}.{m.name}") for m in pkgutil.iter_modules(pkg.__path__)]
    return members([*modules, *plugin_modules()], attrs, kind)
