"""Compile every locale/<lang>/LC_MESSAGES/django.po into its .mo with polib (no GNU gettext needed).

`make compilemessages` runs it; `make messages` (extraction) needs GNU gettext's xgettext/msgmerge.
Fuzzy entries are left out of the .mo, as msgfmt does, so a half-checked translation never shows.
"""

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def main() -> int:
    catalogs = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))
    if not catalogs:
        print(f"No catalogs under {LOCALE_DIR}", file=sys.stderr)
        return 1
    for po_path in catalogs:
        catalog = polib.pofile(str(po_path))
        for entry in catalog.fuzzy_entries():
            catalog.remove(entry)
        catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(LOCALE_DIR.parent)}: {catalog.percent_translated()}% translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
