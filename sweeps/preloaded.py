"""Imported last by the local executor's fork server (executors.WORKER_PRELOAD), after the training code: moves every
object imported so far out of the garbage collector's sight (gc.freeze). A worker forked from the server shares those
pages with it until something writes to them, and a full collection writes to every object it tracks: without the
freeze each worker copied the server's ~1 GB a few hundred MB at a time (tests/perf/sweep_scale.py's
workers_private_mb), which 128 workers on one node could not hold. Frozen objects are never collected; they are
the imported modules, which live as long as the process anyway; unfrozen at exit, where extension modules check
that their objects were released."""
import atexit
import gc

gc.freeze()
atexit.register(gc.unfreeze)
