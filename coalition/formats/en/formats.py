"""English (LANGUAGE_CODE "en"): the day-month-year formats of en_GB here, with dates in full
("27 November 2026") as the public pages and emails have always written them."""

from coalition.formats.en_GB.formats import *  # noqa: F403

DATE_FORMAT = "j F Y"
