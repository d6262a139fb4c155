"""Build the files the package serves but does not keep in git (stdlib only).

    python build_assets.py      # `make assets`; setup.py runs it before every build

1. The npm packages' files that the pages use are copied from node_modules/ (`npm ci`)
   into src/crocevia/static/vendor/, so that the wheel carries them and nothing reads
   node_modules at run time.
2. The translation catalogues (.po) are compiled into .mo files beside them with GNU
   gettext's msgfmt (as Django's compilemessages does, without needing the settings).

Both are build output, ignored by git. A missing input stops the build with the reason.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "src" / "crocevia"
NODE_MODULES = ROOT / "node_modules"
STATIC = PACKAGE / "static"

# A file of node_modules/ -> where the pages load it from, under static/. Every
# `{% static 'vendor/...' %}` of the templates is here (tests/test_wheel.py checks it).
VENDORED = {
    "htmx.org/dist/htmx.min.js": "vendor/htmx/htmx.min.js",
    "htmx.org/LICENSE": "vendor/htmx/LICENSE",
}


class AssetError(Exception):
    """An input of the build is missing."""


def vendor() -> list[Path]:
    copied = []
    for source, target in VENDORED.items():
        origin = NODE_MODULES / source
        if not origin.is_file():
            raise AssetError(
                f"{origin} is missing: run `npm ci` in {ROOT} first (`make install` does). "
                "The package serves it, and the wheel must carry it."
            )
        destination = STATIC / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
        copied.append(destination)
    return copied


def compile_messages() -> list[Path]:
    msgfmt = shutil.which("msgfmt")
    catalogues = sorted(PACKAGE.glob("locale/*/LC_MESSAGES/*.po"))
    if catalogues and msgfmt is None:
        raise AssetError("msgfmt is missing: install GNU gettext (`make system-deps` does).")
    compiled = []
    for po in catalogues:
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run([msgfmt, "--check-format", "-o", str(mo), str(po)], check=True)  # noqa: S603
        compiled.append(mo)
    return compiled


def build() -> list[Path]:
    return vendor() + compile_messages()


if __name__ == "__main__":
    try:
        built = build()
    except AssetError as error:
        sys.exit(f"build_assets: {error}")
    print(f"build_assets: {len(built)} files up to date")
