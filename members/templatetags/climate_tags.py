"""Template helpers for climate data: a commitment's integrity summary, and the criteria in plain words."""

from django import template

from members.climate.integrity import CRITERIA, integrity_summary

register = template.Library()


@register.filter
def integrity(commitment):
    """``{{ commitment|integrity }}``: the commitment's ``IntegritySummary``."""
    return integrity_summary(commitment)


@register.inclusion_tag("members/climate/integrity_criteria.html")
def integrity_criteria():
    return {"criteria": CRITERIA}
