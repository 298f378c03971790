"""Data kept in the repository. Installed as ``ganbench.results`` for the files commands read at run time: the
published tables (``published/*.csv``) and kept GPU checks (``gpu_check/*.json``); read them with
``importlib.resources.files("ganbench.results")``."""
