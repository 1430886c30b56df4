"""Template filter `words`: `{{ event.action|words:"audit" }}` shows pcc_dashboard.vocabulary's words for a code.

A built-in template library (settings.TEMPLATES), so every template can use it without {% load %}.
"""

from django import template

from pcc_dashboard import vocabulary

register = template.Library()


@register.filter
def words(code, kind: str) -> str:
    """The words for `code` of vocabulary kind `kind` ("audit", "variation", "rule", …)."""
    if kind == "rule":
        return vocabulary.rules_label(code)
    return vocabulary.label(kind, code)
