"""What the public sees, and the messages in it: the strings the French and Spanish catalogs must cover.

Templates are read the way ``makemessages`` reads them (Django's ``templatize``), Python files by their
``gettext``/``_()`` calls, so a msgid here is exactly the one Django looks up at run time.
"""

import ast
import re
from pathlib import Path

from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent.parent

# Public pages, and every email that goes to someone outside the secretariat.
PUBLIC_TEMPLATES = [
    "coalition/templates/coalition/base.html",
    "coalition/templates/coalition/home.html",
    "coalition/templates/404.html",
    "coalition/templates/503.html",
    "coalition/templates/emails/base.html",
    "members/templates/members/join/*.html",
    "members/templates/members/public/*.html",
    "members/templates/members/climate/integrity_criteria.html",
    "newsletters/templates/newsletters/*.html",
    "campaigns/templates/campaigns/*.html",
    "members/templates/emails/enquiry_acknowledgement.*",
    "members/templates/emails/enquiry_declined.*",
    "members/templates/emails/enquiry_information_request.*",
    "members/templates/emails/enquiry_repeat.*",
    "members/templates/emails/enquiry_welcome.*",
    "members/templates/emails/dues_invoice.*",
    "members/templates/emails/dues_renewal_reminder.*",
    "newsletters/templates/emails/newsletter.*",
    "newsletters/templates/emails/newsletter_confirm.*",
    "newsletters/templates/emails/newsletter_already_subscribed.*",
    "campaigns/templates/emails/event_invitation.*",
]
# Staff templates that the globs above would catch: the organisation page's tabs in the staff workspace
# (coalition.site's profile registry), which stays in English.
STAFF_TEMPLATES = {
    "campaigns/templates/campaigns/organisation_profile_tab.html",
    "newsletters/templates/newsletters/organisation_profile_tab.html",
}
# Forms, validation messages, page texts and link problems the public reads.
PUBLIC_PYTHON = [
    "coalition/antispam.py",
    "coalition/tokens.py",
    "members/enquiries/forms.py",
    "members/enquiries/views.py",
    "members/public/views.py",
    "members/climate/integrity.py",
    "newsletters/forms.py",
    "newsletters/views.py",
    "newsletters/subscriptions/services.py",
    "campaigns/services/events.py",
]
# Files that also hold staff code: only the named parts (classes, functions, constants; "Class.method")
# answer the public, so only their strings must be translated. Here: what the public API endpoints
# (POST /api/v1/enquiries/, POST /api/v1/subscriptions/) can answer, with the rules and guards behind them.
PUBLIC_PYTHON_PARTS = {
    "members/enquiries/api.py": ["EnquiryViewSet.create"],
    "members/enquiries/serializers.py": ["_text", "EnquirySubmitSerializer"],
    "members/enquiries/services.py": ["enquiry_validate", "enquiry_from_status_token"],
    "newsletters/api.py": ["SUBSCRIPTION_ANSWER", "SubscriptionCreateView"],
    "newsletters/serializers.py": ["SubscriptionRequestSerializer"],
    "newsletters/subscriptions/services.py": ["subscription_request"],
    "coalition/api.py": ["exception_handler"],
    "coalition/site/views.py": ["not_found"],
    "coalition/request_guards.py": ["RejectNulMiddleware", "LimitedJSONParser"],
    "coalition/validators.py": ["SINGLE_LINE_MESSAGE"],
}
# Choice labels shown on public pages (kinds, sectors, statuses, roles): the classes' gettext_lazy labels.
PUBLIC_CHOICES = {
    "members/models.py": ["Organisation.Kind", "Organisation.Sector", "Commitment.Kind", "Commitment.Status",
                          "Enquiry.Status", "Membership.Status"],
    "campaigns/models.py": ["Event.Kind", "EventParticipant.Role", "EventParticipant.Response"],
    "newsletters/models.py": ["Subscriber.Status"],
}  # fmt: skip

GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
# ``templatize`` quotes a message with single quotes, or with double ones when it holds an apostrophe
# ("Members' commitments"): both are read.
_QUOTED = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(r"\b(gettext|ngettext|pgettext|npgettext)\(((?:\s*" + _QUOTED + r"\s*,?)+)")
_LITERAL = re.compile(_QUOTED)


def public_template_paths() -> list[Path]:
    paths: list[Path] = []
    for pattern in PUBLIC_TEMPLATES:
        found = sorted(ROOT.glob(pattern))
        assert found, f"no public template matches {pattern}"
        paths.extend(p for p in found if str(p.relative_to(ROOT)) not in STAFF_TEMPLATES)
    return paths


def template_messages(path: Path) -> set[tuple[str, ...]]:
    """(msgid,) or (msgid, msgid_plural) or (context, msgid…) keys, as ``makemessages`` extracts them."""
    found: set[tuple[str, ...]] = set()
    for match in _TEMPLATE_CALL.finditer(templatize(path.read_text(), origin=str(path))):
        strings = tuple(ast.literal_eval(lit) for lit in _LITERAL.findall(match.group(2)))
        kind = match.group(1)
        if kind == "pgettext" or kind == "npgettext":
            found.add(("ctx", *strings))
        else:
            found.add(strings)
    return found


def _strings(call: ast.Call) -> tuple[str, ...] | None:
    values = []
    for arg in call.args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            values.append(arg.value)
        else:
            break
    return tuple(values[:2]) if values else None


def _named(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    return False


def python_messages(path: Path, *, classes: list[str] | None = None) -> set[tuple[str, ...]]:
    """The msgid keys of ``path``; with ``classes``, of those parts only (dotted: "Class.method")."""
    tree = ast.parse(path.read_text())
    nodes: list[ast.AST] = [tree]
    if classes is not None:
        nodes = []
        for dotted in classes:
            node: ast.AST = tree
            for name in dotted.split("."):
                found = next((n for n in ast.iter_child_nodes(node) if _named(n, name)), None)
                assert found is not None, f"{path.name} has no {dotted}"
                node = found
            nodes.append(node)
    found: set[tuple[str, ...]] = set()
    for root in nodes:
        for node in ast.walk(root):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in GETTEXT_NAMES
            ):
                strings = _strings(node)
                if strings:
                    single = node.func.id in {"_", "gettext", "gettext_lazy"}
                    found.add(strings[:1] if single else strings)
    return found


def public_messages() -> dict[tuple[str, ...], str]:
    """Every public msgid key, with where it was found (for the failure message)."""
    messages: dict[tuple[str, ...], str] = {}
    for path in public_template_paths():
        for key in template_messages(path):
            messages.setdefault(key, str(path.relative_to(ROOT)))
    for name in PUBLIC_PYTHON:
        for key in python_messages(ROOT / name):
            messages.setdefault(key, name)
    for name, parts in PUBLIC_PYTHON_PARTS.items():
        for key in python_messages(ROOT / name, classes=parts):
            messages.setdefault(key, name)
    for name, classes in PUBLIC_CHOICES.items():
        for key in python_messages(ROOT / name, classes=classes):
            messages.setdefault(key, name)
    return messages
