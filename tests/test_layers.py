"""The two pure cores never import Django or the rest of Nurture."""

import ast
from pathlib import Path

import pytest

import nurture

ROOT = Path(nurture.__file__).parent


@pytest.mark.parametrize("core", ["instruments", "analysis"])
def test_pure_cores_import_neither_django_nor_other_nurture_packages(core):
    offenders = []
    for path in (ROOT / core).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")
                if top[0] == "django" or (top[0] == "nurture" and (len(top) < 2 or top[1] != core)):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_models_and_migrations_agree(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
