"""The field lists the Odoo stand-in plays, held as data.

``odoo19.json`` is cut by :mod:`sandbox.odoo.schema.extract` from the ``fields_get`` of a real Odoo 19
(``/work/shared/reference/odoo/odoo19-fields.json``): every field of every model measured there, with every
attribute ``fields_get`` answered. ``extra.json`` holds the few models the stand-in needs that were not
measured (each says where its fields come from), and ``overlays.json`` turns the 19 lists into 17 and 18 ones
from the differences recorded in ``API-NOTES.md`` sections G and I.

Compact form of one field: ``[type, string, flags, extra]`` where ``flags`` has one letter per true
attribute (``R`` required, ``o`` readonly, ``s`` store, ``q`` searchable, ``S`` sortable, ``g`` groupable,
``c`` company_dependent, ``t`` translate true, ``n`` translate present and false) and ``extra`` (optional)
carries ``relation``, ``relation_field`` and ``selection`` as ``fields_get`` gives them.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

FLAGS = (
    ("R", "required"),
    ("o", "readonly"),
    ("s", "store"),
    ("q", "searchable"),
    ("S", "sortable"),
    ("g", "groupable"),
    ("c", "company_dependent"),
)
BOOLEAN_ATTRIBUTES = tuple(name for _letter, name in FLAGS)
EXTRA_KEYS = ("relation", "relation_field", "selection")


def compact_field(desc: dict[str, Any]) -> list[Any]:
    """One ``fields_get`` description as ``[type, string, flags, extra?]``."""
    known = {"type", "string", "translate", *BOOLEAN_ATTRIBUTES, *EXTRA_KEYS}
    unknown = set(desc) - known
    if unknown:
        raise ValueError(f"attributes the compact form does not carry: {sorted(unknown)}")
    flags = "".join(letter for letter, name in FLAGS if desc.get(name))
    if "translate" in desc:
        flags += "t" if desc["translate"] else "n"
    out: list[Any] = [desc["type"], desc["string"], flags]
    extra = {k: desc[k] for k in EXTRA_KEYS if k in desc}
    if extra:
        out.append(extra)
    return out


def expand_field(item: list[Any]) -> dict[str, Any]:
    """The ``fields_get`` description a compact field stands for (the exact keys Odoo 19 answers)."""
    ftype, string, flags = item[0], item[1], item[2]
    desc: dict[str, Any] = {name: letter in flags for letter, name in FLAGS}
    desc["type"] = ftype
    desc["string"] = string
    if "t" in flags:
        desc["translate"] = True
    elif "n" in flags:
        desc["translate"] = False
    if len(item) > 3:
        desc.update(copy.deepcopy(item[3]))
    return desc


def _read(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@functools.cache
def measured() -> dict[str, Any]:
    """The extract of the real 19 field lists: ``{"source": {...}, "models": {model: {field: compact}}}``."""
    return _read("odoo19.json")


@functools.cache
def extra() -> dict[str, Any]:
    return _read("extra.json")


@functools.cache
def overlays() -> dict[str, Any]:
    return _read("overlays.json")


@functools.cache
def _fields_for(version: int) -> dict[str, dict[str, list[Any]]]:
    models: dict[str, dict[str, list[Any]]] = {
        name: dict(fields) for name, fields in measured()["models"].items()
    }
    for name, spec in extra()["models"].items():
        if name in models:
            raise ValueError(f"extra.json redefines the measured model {name}")
        models[name] = dict(spec["fields"])
    for change in overlays()["changes"]:
        if version not in change["versions"]:
            continue
        model = change["model"]
        if change.get("drop_model"):
            models.pop(model, None)
            continue
        target = models.setdefault(model, {})
        for fname in change.get("remove", []):
            if fname not in target:
                raise ValueError(f"overlay removes {model}.{fname}, which the 19 list does not have")
            del target[fname]
        for fname, item in change.get("add", {}).items():
            target[fname] = item
    for name, spec in extra()["models"].items():
        versions = spec.get("versions")
        if versions and version not in versions:
            models.pop(name, None)
    return models


def fields_for(version: int) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {field: fields_get description}}`` as the given Odoo version answers it."""
    return {
        model: {fname: expand_field(item) for fname, item in fields.items()}
        for model, fields in _fields_for(version).items()
    }


def model_sources() -> dict[str, str]:
    """Where each played model's field list comes from (for the documentation and the tests)."""
    out = {name: "measured: odoo19-fields.json" for name in measured()["models"]}
    for name, spec in extra()["models"].items():
        out[name] = spec["source"]
    return out
