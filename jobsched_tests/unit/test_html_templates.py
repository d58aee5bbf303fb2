"""HTML comes only from the Jinja2 templates under jobsched/api/templates, autoescaped: no Python string of
jobsched's API or service layer holds markup, and no template switches escaping off."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from jobsched.api import render

ROOT = Path(render.__file__).resolve().parents[1]
TAG = re.compile(
    r"<\s*/?\s*(html|head|body|div|span|table|tr|td|th|a|p|ul|ol|li|h[1-6]|br|form|input|script)"
    r"(\s+[a-z-]+\s*=|\s*/?>)",  # a tag: attributes or the closing bracket follow its name
    re.I,
)


def python_strings(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def test_no_markup_in_python_strings() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for folder in ("api", "service")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in python_strings(path)
        if TAG.search(text)
    ]
    assert not offenders, f"HTML built outside the templates: {offenders}"


def test_templates_are_autoescaped_and_never_opt_out() -> None:
    env = render.environment()
    for template in sorted(render.TEMPLATES.glob("*.html")):
        assert env.is_async is False
        assert callable(env.autoescape) and env.autoescape(template.name), template.name
        text = template.read_text()
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, template.name
    assert "&lt;script&gt;" in env.from_string("{{ v }}").render(v="<script>")
