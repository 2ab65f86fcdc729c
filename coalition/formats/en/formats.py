"""English without a region: the same day-month-year formats as en-GB."""

from coalition.formats.en_GB.formats import *  # noqa: F403
