"""The command line: listings and one clear line with exit status 2 for bad input, never a traceback."""
import os
import subprocess
from pathlib import Path
import sys

import pytest

from ganbench.benchmark.data import DATASETS
from ganbench.benchmark.variants import VARIANTS


def test_variants_and_datasets_listed_one_a_line(ganbench):
    assert ganbench("variants").stdout.split() == list(VARIANTS)
    assert ganbench("datasets").stdout.split() == list(DATASETS)
    assert len([v for v in VARIANTS if ":" not in v]) == 39 and {  # module:function losses other tests imported aside"pix2pix", "pix2pix_l1", "pix2pix_patch_image", "fgan_kl", "fgan_neyman", "wgan_gp", "dragan", "began", "vae", "hinge", "rwgan", "mcgan",
                                    "gmmn", "mmd_gan", "cramer_gan", "fisher_gan", "ebgan", "magan", "rsgan", "rpgan", "rasgan", "ralsgan", "r3gan",
                                    "ns_gan_r1r2"} <= set(VARIANTS)


def test_variants_verbose_cites_each_and_lists_its_own_hyperparameters(ganbench):
    """`ganbench variants -v`: every variant, then its citation on the next line, then its own parameters."""
    lines = ganbench("variants", "-v").stdout.splitlines()
    heads = [i for i, line in enumerate(lines) if not line.startswith("\t")]
    assert [lines[i].split("\t")[0] for i in heads] == list(VARIANTS)
    for i in heads:
        if ":" in lines[i].split("\t")[0]:
            continue  # a module:function loss another test imported aside: no citation of its own
        assert lines[i + 1].startswith("\t") and any(str(y) in lines[i + 1] for y in range(2013, 2025)), lines[i]
    assert "\tmargin = 1.0: EBGAN's margin" in "\n".join(lines)


def test_listing_checking_and_help_import_no_training_or_scoring_library(tmp_path):
    """`ganbench --help`, `variants`, `datasets`, `spaces`, `spec` and `train` refusing a setting (here an image net
    for 2-D points, which resolve_config refuses) run without Lightning, torch-fidelity, torchmetrics, torchvision,
    Optuna or matplotlib (~4 s a process): each command imports what it runs (tests/perf/cli_startup.py times it)."""
    heavy = ("pytorch_lightning", "torch_fidelity", "torchmetrics", "torchvision", "optuna", "matplotlib")
    commands = [["--help"], ["variants", "-v"], ["datasets"], ["spaces", "wgan_gp"], ["spec", "sweeps/studies/demo_ring.yaml"],
                ["train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "infogan", "--steps", "2", "--out", str(tmp_path / "out")]]
    code = ("import contextlib, io, sys\n"
            "from ganbench.cli import main\n"
            "codes = []\n"
            f"for args in {commands!r}:\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:\n"
            "        try:\n"
            "            codes.append(main(args) or 0)\n"
            "        except SystemExit as e:\n"
            "            codes.append(e.code)\n"
            "print(codes, err.getvalue().split(':')[:2], 'needs images' in err.getvalue())\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1], timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    ran, imported = r.stdout.splitlines()[-2:]
    assert ran == "[0, 0, 0, 0, 0, 2] ['ganbench train', ' error'] True", ran  # the train case reached the arch check
    assert imported == "[]", imported
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,field,allowed", [
    (["--variant", "nogan"], "variant", "ns_gan"),
    (["--dataset", "imagenet"], "dataset", "mnist5k"),
    (["--arch", "resnet"], "arch", "infogan"),
    (["--lr", "0"], "lr", "> 0"),
    (["--lr", "-1e-3"], "lr", "> 0"),
    (["--arch", "mlp"], "arch", "vector data"),
    (["--dataset", "ring8", "--arch", "infogan"], "arch", "images"),
    (["--dataset", "mnist5k", "--arch", "dcgan"], "arch", "32x32"),
    (["--beta1", "1.5"], "beta1", "[0, 1)"),
    (["--n-disc", "0"], "n_disc", "in [1, 1000]"),
    (["--n-disc", "1001"], "n_disc", "in [1, 1000]"),
])
def test_bad_input_names_the_field(ganbench, tmp_path, args, field, allowed):
    base = {"--variant": "ns_gan", "--dataset": "mnist5k", "--steps": "2", "--out": str(tmp_path / "out")}
    merged = dict(base)
    for k, v in zip(args[::2], args[1::2]):
        merged[k] = v
    r = ganbench("train", *[f"{k}={v}" for k, v in merged.items()])
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()
    assert len(last) == 1 and "Traceback" not in r.stderr
    assert last[0].startswith(f"ganbench train: error: {field}") and allowed in last[0]
    assert not (tmp_path / "out").exists()


def test_data_root_without_files(ganbench, tmp_path):
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "mnist", "--steps", "2", "--data-root", str(tmp_path),
                 "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "data-root:" in r.stderr and "MNIST/raw" in r.stderr and "Traceback" not in r.stderr


def test_out_dir_holding_another_run(ganbench, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "config.json").write_text("{}")
    r = ganbench("train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "2", "--out", str(out))
    assert r.returncode == 2 and r.stderr.startswith("ganbench train: error: out:") and "Traceback" not in r.stderr


@pytest.mark.slow  # over 10 s: make test's tier
def test_train_end_to_end(tmp_path):
    r = subprocess.run(["ganbench", "train", "--variant", "lsgan", "--dataset", "ring8", "--steps", "20", "--out", str(tmp_path / "r"), "--quiet"],
                       capture_output=True, text=True, env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r" / "metrics.json").exists() and "modes_covered" in r.stdout
    assert r.stderr == ""  # quiet: no tips, no warnings a user cannot act on (--verbose shows them)


@pytest.mark.parametrize("text,field", [
    ("name: a\nvariants: [ns_gan\n", "spec"),  # not YAML
    ('!!python/object/apply:os.system ["ls"]\n', "spec"),  # a tag safe_load refuses
    ("name: ../../etc\nvariants: [ns_gan]\ndatasets: [ring8]\nspace: narrow\nbudget: {settings: 1}\nsteps: 1\n", "name"),
    ("variants: [ns_gan]\ndatasets: [ring8]\nspace: narrow\nbudget: {settings: 1}\nsteps: 1\npack: 0\n", "pack"),
    ("variants: [ns_gan]\ndatasets: [ring8]\nspace: narrow\nbudget: {settings: 1}\nsteps: 1\narch: resnet\n", "arch"),
])
def test_bad_specs_exit_2_without_a_traceback(ganbench, tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    r = ganbench("sweep", "run", str(path), "--dir", str(tmp_path / "study"))
    assert r.returncode == 2 and f"error: {field}:" in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
    assert not (tmp_path / "study").exists()


@pytest.mark.parametrize("args,field", [
    (["train", "--variant", "ns_gan", "--dataset", "ring8", "--steps", "1", "--out", "/proc/ganbench-x"], "out"),
    (["sweep", "run", "sweeps/studies/tiny.yaml", "--dir", "/proc/ganbench-y"], "dir"),
])
def test_unwritable_output_places_exit_2(ganbench, args, field):
    r = ganbench(*args)
    assert r.returncode == 2 and f"error: {field}: cannot write" in r.stderr and "Traceback" not in r.stderr
