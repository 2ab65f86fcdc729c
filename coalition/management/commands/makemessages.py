"""Django's makemessages without gettext's fuzzy matching: a new string starts untranslated instead of
borrowing a similar string's translation (which the catalog test would then report as fuzzy)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
