"""Cut ``odoo19.json`` from a real Odoo 19's ``fields_get`` dump.

    python -m sandbox.odoo.schema.extract [--reference PATH] [--check]

The reference is ``odoo19-fields.json`` (``{"server_version", "modules", "models": {model: fields_get}}``),
read from a real Odoo 19.0 community server; see ``/work/shared/reference/odoo/README.md``. Models the
server answered with an error (``sale.order.cancel`` does not exist in 19) are left out. ``--check`` only
compares and exits 1 when the committed extract differs from what the reference gives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import HERE, compact_field

OUTPUT = HERE / "odoo19.json"
REPO_ROOT = HERE.parents[2]


def reference_candidates() -> list[Path]:
    """Where the reference file is looked for: ``$ODOO_FIELDS_REFERENCE``, then the shared folder."""
    out = []
    if os.environ.get("ODOO_FIELDS_REFERENCE"):
        out.append(Path(os.environ["ODOO_FIELDS_REFERENCE"]))
    for base in (REPO_ROOT.parent, REPO_ROOT.parent.parent):
        out.append(base / "shared" / "reference" / "odoo" / "odoo19-fields.json")
    return out


def find_reference() -> Path | None:
    for path in reference_candidates():
        if path.is_file():
            return path
    return None


def extract(reference: Path) -> dict[str, Any]:
    raw = reference.read_bytes()
    data = json.loads(raw)
    models: dict[str, dict[str, Any]] = {}
    skipped = {}
    for name, fields in sorted(data["models"].items()):
        if "__error__" in fields:
            skipped[name] = fields["__error__"]
            continue
        models[name] = {fname: compact_field(desc) for fname, desc in sorted(fields.items())}
    return {
        "source": {
            "file": reference.name,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "server_version": data.get("server_version"),
            "modules": data.get("modules"),
            "not_in_server": skipped,
        },
        "models": models,
    }


def render(doc: dict[str, Any]) -> str:
    """One field per line, so that a change in Odoo shows as a readable diff."""
    lines = [
        "{",
        f'  "source": {json.dumps(doc["source"], ensure_ascii=False, sort_keys=True)},',
        '  "models": {',
    ]
    model_names = list(doc["models"])
    for i, name in enumerate(model_names):
        lines.append(f"    {json.dumps(name)}: {{")
        fields = doc["models"][name]
        fnames = list(fields)
        for j, fname in enumerate(fnames):
            comma = "," if j < len(fnames) - 1 else ""
            lines.append(f"      {json.dumps(fname)}: {json.dumps(fields[fname], ensure_ascii=False)}{comma}")
        lines.append("    }" + ("," if i < len(model_names) - 1 else ""))
    lines.extend(["  }", "}", ""])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.odoo.schema.extract")
    parser.add_argument("--reference", type=Path, default=None)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    reference = args.reference or find_reference()
    if reference is None:
        print("reference odoo19-fields.json not found; give --reference", file=sys.stderr)
        return 2
    text = render(extract(reference))
    if args.check:
        same = OUTPUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUTPUT} differs from {reference}")
        return 0 if same else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} from {reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
