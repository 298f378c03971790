"""The one thing pyproject.toml cannot say: the design's top-level folders benchmark/, sweeps/ and analysis/ install
as ganbench.benchmark, ganbench.sweeps and ganbench.analysis, so `pip install` adds one top-level name, ganbench.
results/ installs as ganbench.results for the files commands read at run time (pyproject.toml's package-data: the
published tables, kept GPU checks); its kept studies stay in the repository."""
from setuptools import find_packages, setup

FOLDERS = ("benchmark", "sweeps", "analysis")
setup(
    packages=["ganbench", "ganbench.results"]
    + [f"ganbench.{folder}{'.' + sub if sub else ''}" for folder in FOLDERS for sub in ["", *find_packages(folder)]],
    package_dir={"ganbench": "ganbench", "ganbench.results": "results", **{f"ganbench.{folder}": folder for folder in FOLDERS}},
)
