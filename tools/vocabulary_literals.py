"""Counts string literals of the core's vocabularies (trial status, phase, variant kind, extractor, step kind) used in
comparisons and call arguments outside the module that owns each, over benchmark/, sweeps/, analysis/ and ganbench/:
`python tools/vocabulary_literals.py [REPOSITORY]` (default: this one). An AST count; words in messages and docstrings
are not counted, and a literal that is another thing's name (a column called "seed", f-GAN's "gan" divergence) is.
Run it on an older checkout to compare."""
import ast, sys, pathlib, collections
root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1]
VOCABS = {
 "trial status": ({"finished", "diverged", "pruned", "failed", "lost", "running", "waiting"}, "benchmark/identity.py"),
 "phase": ({"search", "seed"}, "benchmark/identity.py"),
 "variant kind": ({"gan", "fisher", "cramer", "began", "ebgan", "magan", "mmd_gan", "gmmn", "vae", "pix2pix"}, "benchmark/variants.py"),
 "extractor": ({"inception-v3-compat", "lenet-mnist", "dinov2-vit-s-14", "dinov2-vit-b-14", "dinov2-vit-l-14", "dinov2-vit-g-14", "clip-vit-b-32"}, "benchmark/metrics/extractors.py"),
 "step kind": ({"alternating", "discriminator", "simultaneous"}, "benchmark/protocols/base.py"),
}
def docstrings(tree):
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            out.add(id(node.body[0].value))
    return out
counts = collections.Counter(); files = collections.defaultdict(set)
for folder in ("benchmark", "sweeps", "analysis", "ganbench"):
    for p in (root / folder).rglob("*.py"):
        rel = str(p.relative_to(root)); tree = ast.parse(p.read_text()); ds = docstrings(tree)
        # only comparisons and membership tests, dict keys of lookups, and call arguments: literal uses, not words in messages
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    for c in ast.walk(side):
                        if isinstance(c, ast.Constant) and isinstance(c.value, str):
                            for name, (values, owner) in VOCABS.items():
                                if c.value in values and rel != owner and not (name == "variant kind" and c.value in ("gan",) and False):
                                    counts[name] += 1; files[name].add(rel)
            elif isinstance(node, ast.Call):
                args = list(node.args) + [k.value for k in node.keywords]
                for a in args:
                    for c in ([a] if isinstance(a, ast.Constant) else [e for e in ast.walk(a) if isinstance(e, ast.Constant)] if isinstance(a, (ast.List, ast.Tuple, ast.Set)) else []):
                        if isinstance(c.value, str):
                            for name, (values, owner) in VOCABS.items():
                                if c.value in values and rel != owner:
                                    counts[name] += 1; files[name].add(rel)
for name in VOCABS:
    print(f"{name}: {counts[name]} literals in {len(files[name])} files")
