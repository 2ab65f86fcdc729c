"""``{{ membership.tier|translated:"name" }}``: reference data staff translate (a tier's name, a topic's
description) in the language the page or email is being written in.

The object says how: ``<attribute>_in(language)`` (``MembershipTier.name_in``, ``Topic.description_in``),
falling back to the staff-written text. Emails are rendered under ``coalition.i18n.in_language``, so the
active language is the recipient's.
"""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def translated(obj, attribute: str = "name") -> str:
    if obj is None or obj == "":
        return ""
    method = getattr(obj, f"{attribute}_in", None)
    if method is None:
        return str(getattr(obj, attribute, obj))
    return method(get_language())
