"""Date and number formats for the staff side: day-month-year, 24-hour clock (``FORMAT_MODULE_PATH``)."""
