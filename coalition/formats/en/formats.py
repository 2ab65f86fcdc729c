"""English as written in the UK ("27 November 2026", 24-hour times), for LANGUAGE_CODE "en"."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

# Dates in full, as the public pages and emails have always written them ("27 November 2026").
DATE_FORMAT = "j F Y"
