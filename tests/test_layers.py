"""The layers as a contract: the command line (ganbench/cli.py, ganbench/commands.py) over sweeps/ over analysis/ over
benchmark/, every import, lazy ones inside functions included, pointing down or across, never up; and no import cycle
between modules, across or within a layer (a lazy import inside a function counts: it is how cycles hide). The package
root (ganbench/__init__.py: the version) is below them all. Read from the source with ast, because the folders install
under the ganbench namespace through setup.py's package_dir, which import graphs built from the installed tree
(import-linter's grimp) do not follow in an editable install."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"ganbench.cli": 4, "ganbench.commands": 4, "ganbench.sweeps": 3, "ganbench.analysis": 2, "ganbench.benchmark": 1,
          "ganbench": 0}  # the longest matching name gives a module's layer
FOLDERS = {"benchmark": "ganbench.benchmark", "sweeps": "ganbench.sweeps", "analysis": "ganbench.analysis", "ganbench": "ganbench"}


def module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    rest = rest[:-1] if rest and rest[-1] == "__init__" else rest
    return ".".join([FOLDERS[folder], *rest])


def layer(module: str) -> int | None:
    match = max((name for name in LAYERS if module == name or module.startswith(name + ".")), key=len, default=None)
    return LAYERS[match] if match else None


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``, which never run (annotations only)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            out |= {id(n) for child in node.body for n in ast.walk(child)}
    return out


def imports(module: str, source: str, is_package: bool = False, run_time_only: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module's source, relative ones resolved; with
    ``run_time_only``, not those under ``if TYPE_CHECKING:``."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    tree = ast.parse(source)
    skipped = _type_checking_only(tree) if run_time_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = (base + ("." + node.module if node.module else "")) if node.level else node.module or ""
            out += [(node.lineno, f"{target}.{a.name}" if target in LAYERS or f"{target}.{a.name}" in MODULES else target)
                    for a in node.names]
    return out


def upward(module: str, source: str, is_package: bool = False) -> list[str]:
    return [f"{line}: {target}" for line, target in imports(module, source, is_package)
            if layer(target) is not None and layer(target) > layer(module)]


def sources() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]


MODULES = {module_name(p): p for p in sources()}


def import_graph(modules: dict[str, str]) -> dict[str, set[str]]:
    """module -> the modules it imports when it runs (a name imported from a module counts as that module), from
    {name: source}. A submodule's import of its own package is left out: Python has run the package's __init__ before
    the submodule; so are imports for annotations only (under ``if TYPE_CHECKING:``)."""
    def owner(target: str) -> str | None:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    graph = {}
    for m, source in modules.items():
        is_package = MODULES[m].name == "__init__.py" if m in MODULES else False
        targets = {owner(t) for _, t in imports(m, source, is_package, run_time_only=True)}
        graph[m] = {t for t in targets if t and t != m and not m.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_points_up_a_layer():
    found = [f"{p.relative_to(ROOT)}:{u}" for p in sources() for u in upward(module_name(p), p.read_text(), p.name == "__init__.py")]
    assert not found, found


def test_the_contract_sees_every_folder_and_catches_an_upward_import():
    assert {module_name(p).split(".")[1] for p in sources() if "." in module_name(p)} >= {"benchmark", "sweeps", "analysis", "cli"}
    lazy = "def f():\n    from ganbench.sweeps.spec import load_spec\n"
    assert upward("ganbench.analysis.load", lazy) == ["2: ganbench.sweeps.spec"]
    assert upward("ganbench.benchmark.data.base", "from ...analysis import tables\n") == ["1: ganbench.analysis.tables"]
    assert upward("ganbench.sweeps.plan", "from ganbench import commands\n") == ["1: ganbench.commands"]
    assert upward("ganbench.analysis.paper", "from ganbench import version_line\nfrom ..benchmark import files\n") == []


def test_no_import_cycle():
    graph = import_graph({m: p.read_text() for m, p in MODULES.items()})
    assert not cycles(graph), cycles(graph)


def test_the_cycle_check_finds_a_cycle_through_a_lazy_import():
    a = "ganbench.benchmark.schema"
    b = "ganbench.benchmark.protocols.base"
    modules = {a: "def choices():\n    from .protocols import base\n", b: "from ..schema import ConfigError\n"}
    assert cycles(import_graph(modules)) == [[b, a]]
    assert cycles(import_graph({a: "", b: "from ..schema import ConfigError\n"})) == []
    typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .protocols import base\n"
    assert cycles(import_graph({a: typing_only, b: "from ..schema import ConfigError\n"})) == []


def test_the_type_checker_finds_no_error():
    """mypy over the package as it installs, with pyproject.toml's settings (tools/typecheck.py); the exceptions it
    allows are listed there."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "tools" / "typecheck.py")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
