"""`python -m ganbench.sweeps.worker DIR`: one worker in a process of its own, for starting by hand or from a script of
your own (the local executor forks its workers instead: executors.start_workers)."""
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
