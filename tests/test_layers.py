"""The layers as a contract: the command line (ganbench/cli.py, ganbench/commands.py) over sweeps/ over analysis/ over
benchmark/, every import, lazy ones inside functions included, pointing down or across, never up. The package root
(ganbench/__init__.py: the version) is below them all. Read from the source with ast, because the folders install
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


def imports(module: str, source: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module's source, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = (base + ("." + node.module if node.module else "")) if node.level else node.module or ""
            out += [(node.lineno, f"{target}.{a.name}" if target in LAYERS else target) for a in node.names]
    return out


def upward(module: str, source: str, is_package: bool = False) -> list[str]:
    return [f"{line}: {target}" for line, target in imports(module, source, is_package)
            if layer(target) is not None and layer(target) > layer(module)]


def sources() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))]


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
