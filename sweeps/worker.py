"""`python -m ganbench.sweeps.worker DIR`: one worker process (started by the local executor)."""
import argparse
import logging

from .runner import work

if __name__ == "__main__":
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("study_dir")
    p.add_argument("--storage")
    p.add_argument("--allow-code", dest="allow_code", action="append", default=[])
    a = p.parse_args()
    work(a.study_dir, a.storage, a.allow_code)
