"""The one thing pyproject.toml cannot say: the design's top-level folders benchmark/, sweeps/ and analysis/ install
as ganbench.benchmark, ganbench.sweeps and ganbench.analysis, so `pip install` adds one top-level name, ganbench."""
from setuptools import find_packages, setup

FOLDERS = ("benchmark", "sweeps", "analysis")
setup(
    packages=["ganbench"] + [f"ganbench.{folder}{'.' + sub if sub else ''}" for folder in FOLDERS for sub in ["", *find_packages(folder)]],
    package_dir={"ganbench": "ganbench", **{f"ganbench.{folder}": folder for folder in FOLDERS}},
)
