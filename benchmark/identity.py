"""A sweep's trial is the run it stands for: the attributes below, said once. The sweeps record them on every trial
they create (Optuna user attributes), and every path that claims, retries, resumes, reports or keeps a trial reads
them back through ``TrialIdentity.of``, so a retried trial is exactly the trial it replaces (same variant, data
set, packing, protocol, experiment, setting). Declared here, below ``sweeps`` and ``analysis``, because both read it;
it knows nothing of Optuna: it is a record's schema."""
from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable, Iterable

from .schema import ConfigError, Vocabulary


class Phase(Vocabulary):
    SEARCH = "search"  # the random or adaptive search
    SEED = "seed"  # then the best setting re-trained over seeds


class TrialStatus(Vocabulary):
    """How a trial stands: its run's ending (``metrics.json``'s status), else the sweep's word for it (the
    ``status`` user attribute, the report's column)."""

    FINISHED = "finished"  # trained to the end and scored
    DIVERGED = "diverged"  # a loss became non-finite: scored as +inf, a result
    PRUNED = "pruned"  # stopped at a checkpoint by the search's pruner
    FAILED = "failed"  # an error ended it: no result; `sweep resume` runs it again
    LOST = "lost"  # its worker stopped answering: no result; run again
    RUNNING = "running"
    WAITING = "waiting"  # queued (a retry, a seed-phase trial), not started


RUN_ENDINGS = (TrialStatus.FINISHED, TrialStatus.DIVERGED, TrialStatus.PRUNED)  # how a run itself can end
SCORED = (TrialStatus.FINISHED, TrialStatus.DIVERGED)  # trials with a score (a diverged one's is +inf)
ENDED = (*RUN_ENDINGS, TrialStatus.FAILED)  # trials that spent their steps
IN_FLIGHT = (TrialStatus.RUNNING, TrialStatus.WAITING)


@dataclass(frozen=True)
class TrialIdentity:
    variant: str
    dataset: str
    space: str  # the space's name, or "custom" for one written out in the spec
    protocol: str
    pack: int
    phase: Phase
    setting: int | None = None  # the search's slot; a seed-phase trial takes the best search trial's when it starts
    seed_index: int | None = None  # seed phase only
    experiment: str | None = None  # protocol lucic2018: the study experiment whose draws are replayed

    def __post_init__(self) -> None:
        for f in fields(self):  # a record read back from a journal: each attribute of the type declared
            value, kind = getattr(self, f.name), f.type.split(" | ")[0]
            ok = value is None or (isinstance(value, int) and not isinstance(value, bool) if kind == "int" else isinstance(value, str))
            if not ok or (kind == "int" and value is not None and value < (1 if f.name == "pack" else 0)):
                raise ConfigError(f"{f.name}: the trial's record holds {value!r}, not {'a count' if kind == 'int' else 'a name'}")
        if self.phase not in tuple(Phase):
            raise ConfigError(f"phase: '{self.phase}' is not one of {', '.join(Phase)}")
        object.__setattr__(self, "phase", Phase(self.phase))  # a journal holds the string
        if (self.phase == Phase.SEED) != (self.seed_index is not None):
            raise ConfigError("seed_index: a seed-phase trial has one, a search trial none")
        if self.phase == Phase.SEARCH and self.setting is None:
            raise ConfigError("setting: a search trial has one")

    @classmethod
    def of(cls, attrs: dict[str, Any]) -> "TrialIdentity":
        """A trial's identity from its recorded attributes; a missing one is named (a journal from another tool,
        or damaged), never filled with a default that would make it another trial."""
        names = [f.name for f in fields(cls)]
        required = [f.name for f in fields(cls) if f.default is MISSING]
        missing = [n for n in required if attrs.get(n) is None]
        if missing:
            raise ConfigError(f"{missing[0]}: the trial's record lacks it (recorded: {', '.join(sorted(k for k in attrs if k in names))})")
        values: dict[str, Any] = {n: attrs.get(n) for n in names}  # each checked by __post_init__
        return cls(**values)

    def attrs(self) -> dict[str, Any]:
        """The user attributes to record: every attribute that is set."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def run_name(self) -> str:
        return f"seed-{self.seed_index}" if self.phase == Phase.SEED else str(self.setting)

    def run_dir(self, study_dir: Path, file_name: Callable[[str], str]) -> Path:
        """``trials/<variant>[.packM]/<data set>/<setting or seed-i>`` (``file_name``: the data registry's safe name)."""
        variant = file_name(self.variant) if self.pack == 1 else f"{file_name(self.variant)}.pack{self.pack}"
        return Path(study_dir) / "trials" / variant / file_name(self.dataset) / self.run_name

    @property
    def label(self) -> str:
        """How tables name the variant: a packed variant is a row of its own ("ns_gan+pack2")."""
        return self.variant if self.pack == 1 else f"{self.variant}+pack{self.pack}"


def retried(trials: Iterable[Any]) -> set[int]:
    """Numbers of the attempts that a later trial of the same study re-runs (its ``retry_of``). Said by the retry,
    not written onto the attempt: Optuna's journal drops a change to a finished trial when another process replays
    it. ``trials``: anything with ``user_attrs`` (Optuna's frozen trials)."""
    return {t.user_attrs["retry_of"] for t in trials if "retry_of" in t.user_attrs}
