"""The package ships ``py.typed``: every public function and method is annotated.

mypy itself runs over the whole package in CI (``python -m mypy``, configured in
pyproject.toml); this test keeps the annotations complete, which mypy does not ask for.
"""
import ast
from pathlib import Path

import elbo_sym

PACKAGE = Path(elbo_sym.__file__).parent


def _unannotated(path: Path) -> list:
    """The public functions of a module and public methods of its public classes (a function
    nested in another is no interface) that lack an annotation."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = []
    for node in _interface(tree.body):
        if node.name.startswith("_"):
            continue
        arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
        bare = [a.arg for a in arguments if a.annotation is None and a.arg not in ("self", "cls")]
        for star in (node.args.vararg, node.args.kwarg):
            if star is not None and star.annotation is None:
                bare.append(star.arg)
        if bare or node.returns is None:
            missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    return missing


def _interface(body: list) -> list:
    found = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found += _interface(node.body)
    return found


def test_every_public_function_is_annotated():
    missing = [m for path in sorted(PACKAGE.rglob("*.py")) for m in _unannotated(path)]
    assert missing == []


def test_the_check_finds_a_bare_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(x):\n    return x\n\ndef _g(x):\n    return x\n\n"
                      "def h(x: int) -> int:\n    def inner(y):\n        return y\n    return x\n\n"
                      "class C:\n    def m(self, y):\n        return y\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert _unannotated(module) == [f"{tmp_path.name}/m.py:1 f",
                                       f"{tmp_path.name}/m.py:13 m"]
    finally:
        PACKAGE = saved
