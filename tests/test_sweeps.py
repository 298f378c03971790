"""Sweeps with the local executor: exactly the budget, nothing lost or duplicated when a worker is SIGKILLed."""
import json
import math
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from ganbench.sweeps import claims, executors, retries, runner, storage
from ganbench.sweeps.executors import run_local
from ganbench.sweeps.storage import load_saved_spec, save_spec, storage_for
from ganbench.sweeps.spaces import named_space, settings_for
from ganbench.sweeps.spec import SpecError, load_spec

SPEC = """
name: t
variants: [ns_gan, lsgan]
datasets: [ring8]
arch: mlp_small
space: narrow
budget: {settings: 4}
steps: %d
"""


def make_study(tmp_path, steps=40):
    path = tmp_path / "t.yaml"
    path.write_text(SPEC % steps)
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    return study_dir


def trials(study_dir):
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir)
    out = []
    for v in spec.variants:
        try:
            out += optuna.load_study(study_name=spec.study_name(v, "ring8"), storage=storage).get_trials()
        except KeyError:  # not created yet
            pass
    return out


def check_exact_budget(study_dir):
    ts = trials(study_dir)
    done = [t for t in ts if t.state == TrialState.COMPLETE]
    assert len(done) == 8
    per = {(t.user_attrs["variant"], t.user_attrs["setting"]) for t in done}
    assert len(per) == 8  # every setting exactly once
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAIL) for t in ts)
    assert all(t.user_attrs["status"] == "lost" for t in ts if t.state == TrialState.FAIL)
    for t in done:
        d = study_dir / "trials" / t.user_attrs["variant"] / "ring8" / str(t.user_attrs["setting"])
        assert {"config.json", "metrics.json", "samples.png", "last.ckpt"} <= {p.name for p in d.iterdir()}
        for k in ("host", "pid", "seed", "ganbench_version", "wall_time_s", "device", "modes_covered"):
            assert k in t.user_attrs
    return ts


def test_settings_are_seeded_and_start_with_the_defaults():
    wide = named_space("wide", "wgan_gp")
    a, b = settings_for(wide, "wgan_gp", 5, 0), settings_for(wide, "wgan_gp", 5, 0)
    assert a == b and a != settings_for(wide, "wgan_gp", 5, 1)
    assert a[0]["lr"] == 1e-4 and a[0]["n_disc"] == 5 and a[0]["penalty_weight"] == 10.0 and a[0]["beta1"] == 0.5
    for s in a[1:]:
        assert 1e-5 <= s["lr"] <= 1e-2 and 1 <= s["n_disc"] <= 5 and 0.1 <= s["penalty_weight"] <= 100
    for s in settings_for(named_space("narrow", "began"), "began", 20, 0)[1:]:
        assert s["beta1"] == 0.5 and s["n_disc"] == 1 and 0.6 <= s["began_gamma"] <= 0.9 and s["began_lambda"] == 1e-3


@pytest.mark.parametrize("text,field", [
    ("variants: [nogan]", "variants"), ("space: huge", "space"), ("budget: {settings: 0}", "budget.settings"), ("colour: red", "colour"),
])
def test_bad_spec_names_the_field(tmp_path, text, field):
    base = dict(l.split(": ", 1) for l in SPEC.strip().splitlines())
    k, v = text.split(": ", 1)
    base[k] = v
    (tmp_path / "s.yaml").write_text("\n".join(f"{a}: {b}" for a, b in base.items()).replace("%d", "10"))
    with pytest.raises(SpecError, match=f"^{field}"):
        load_spec(tmp_path / "s.yaml")


@pytest.mark.slow
def test_two_workers_finish_exactly_the_budget(tmp_path):
    study_dir = make_study(tmp_path)
    rows = run_local(study_dir, workers=2, progress=False)
    assert [(r["finished"] + r["diverged"] + r["failed"], r["budget"]) for r in rows] == [(4, 4), (4, 4)]
    check_exact_budget(study_dir)
    # resuming a finished study does nothing
    before = len(trials(study_dir))
    run_local(study_dir, workers=2, progress=False)
    assert len(trials(study_dir)) == before


@pytest.mark.parametrize("preloaded", [",".join(executors.WORKER_PRELOAD), "ganbench.benchmark.speed"])
def test_workers_fork_from_a_server_whose_imports_ask_cuda_nothing(preloaded):
    """Sweep workers fork from a server that imported executors.WORKER_PRELOAD (executors.start_workers), `make gpu-check`'s
    measuring processes from one that imported ganbench.benchmark.speed. Had that import asked CUDA anything
    (is_available, device_count), CUDA would have been set up in the server, and a forked process could neither use
    it nor be pinned to its slot's GPU. Checked in a fresh interpreter, with the calls counted."""
    code = ("import torch, torch.cuda\n"
            "calls = []\n"
            "def counted(module, name):\n"
            "    f = getattr(module, name)\n"
            "    setattr(module, name, lambda *a, **k: (calls.append(name), f(*a, **k))[1])\n"
            "for name in ('is_available', 'device_count', 'init', '_lazy_init', 'current_device'):\n"
            "    counted(torch.cuda, name)\n"
            "counted(torch._C, '_cuda_getDeviceCount')\n"
            f"import {preloaded}\n"
            "print(calls, torch.cuda.is_initialized())\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.split("\n")[-2] == "[] False", (r.stdout, r.stderr[-2000:])


def test_a_worker_gets_its_starters_environment_and_directory(tmp_path, monkeypatch):
    """A forked worker runs in the environment and working directory its starter has now, as a new process would,
    not those the fork server was started with: here a variable set and a directory entered after the server started
    (the trial records CUDA_VISIBLE_DEVICES; the study is named by a path relative to the new directory)."""

    server = executors.multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(executors.WORKER_PRELOAD)
    warm = server.Process(target=time.time)  # the server runs from here on, started in this environment
    warm.start()
    warm.join(120)
    make_study(tmp_path, steps=2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # no GPU, on any machine
    monkeypatch.chdir(tmp_path)
    (worker,) = executors.start_workers("study", None, [], [("3", None)], 1)
    worker.join(120)
    done = [t for t in trials(tmp_path / "study") if t.state == TrialState.COMPLETE]
    assert worker.exitcode == 0 and len(done) == 8
    assert {(t.user_attrs["cuda_visible_devices"], t.user_attrs["device_slot"]) for t in done} == {("-1", "3")}


@pytest.mark.slow
def test_sigkilled_worker_loses_nothing_and_counts_nothing_twice(tmp_path):
    study_dir = make_study(tmp_path, steps=200)
    worker = subprocess.Popen([sys.executable, "-m", "ganbench.sweeps.worker", str(study_dir)])
    deadline = time.time() + 300
    # kill it once it has finished a trial and is inside the next one, recorded as its owner (a kill between the claim
    # and that record is test_worker_killed_between_claim_and_record_is_recovered's case, recovered after a grace period)
    while time.time() < deadline:
        ts = trials(study_dir) if (study_dir / "optuna.journal").exists() else []
        if any(t.state == TrialState.COMPLETE for t in ts) and any(t.state == TrialState.RUNNING and t.user_attrs.get("host") for t in ts):
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    running = [t for t in trials(study_dir) if t.state == TrialState.RUNNING]
    assert len(running) == 1
    run_local(study_dir, workers=2, progress=False)
    ts = check_exact_budget(study_dir)
    lost = [t for t in ts if t.state == TrialState.FAIL]
    assert len(lost) == 1 and lost[0].number == running[0].number


@pytest.mark.slow
def test_worker_killed_between_claim_and_record_is_recovered(tmp_path, monkeypatch):
    """A worker killed right after it claimed a trial, before recording itself, leaves an owner-less RUNNING trial."""
    import ganbench.sweeps.runner as runner

    study_dir = make_study(tmp_path, steps=5)
    spec = load_saved_spec(study_dir)
    (study, _), _ = storage.create_studies(spec, storage_for(study_dir))
    orphan = study.get_trials(deepcopy=False)[0]
    assert study._storage.set_trial_state_values(orphan._trial_id, optuna.trial.TrialState.RUNNING)
    runner.work(study_dir)
    assert trials(study_dir)[0].state == TrialState.RUNNING  # within the grace period: maybe a live worker
    monkeypatch.setattr(claims, "CLAIM_GRACE_S", 0)
    runner.work(study_dir)
    ts = check_exact_budget(study_dir)
    assert [t.number for t in ts if t.state == TrialState.FAIL] == [orphan.number]


@pytest.mark.slow  # over 10 s: make test's tier
def test_cli_status_json(tmp_path, ganbench):
    study_dir = make_study(tmp_path, steps=10)
    run_local(study_dir, workers=1, progress=False)
    r = ganbench("sweep", "status", study_dir, "--json")
    doc = json.loads(r.stdout)
    assert [(s["variant"], s["finished"] + s["diverged"], s["budget"]) for s in doc["studies"]] == [("ns_gan", 4, 4), ("lsgan", 4, 4)]


@pytest.mark.slow  # over 10 s: make test's tier
def test_trials_train_with_their_enqueued_settings(tmp_path):
    study_dir = make_study(tmp_path, steps=5)
    run_local(study_dir, workers=1, progress=False)
    spec = load_saved_spec(study_dir)
    for t in trials(study_dir):
        s = t.user_attrs["setting"]
        v = t.user_attrs["variant"]
        expected = spec.settings_for(v, "ring8", spec.settings)[s]  # ring8: PacGAN's own batch, latent size and optimiser
        assert t.params == expected
        config = json.loads((study_dir / "trials" / t.user_attrs["variant"] / "ring8" / str(s) / "config.json").read_text())
        assert config["lr"] == expected["lr"] and config["beta1"] == expected["beta1"]


def _study(tmp_path, text):
    (tmp_path / "s.yaml").write_text(text)
    study_dir = tmp_path / "study"
    spec = load_spec(tmp_path / "s.yaml")
    save_spec(study_dir, spec)
    return spec, study_dir


def _load(spec, study_dir, name):
    return optuna.load_study(study_name=name, storage=storage_for(study_dir))


@pytest.mark.slow  # over 10 s: make test's tier
def test_tpe_fills_exactly_the_budget_within_the_space(tmp_path):
    spec, study_dir = _study(tmp_path, "name: t\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: wide\nsampler: tpe\n"
                                       "budget: {settings: 5}\nsteps: 20\n")
    run_local(study_dir, workers=2, progress=False)
    ts = _load(spec, study_dir, spec.study_name("ns_gan", "ring8")).get_trials()
    assert len(ts) == 5 and all(t.state == TrialState.COMPLETE for t in ts)
    by_setting = {t.user_attrs["setting"]: t for t in ts}
    assert by_setting[0].params["lr"] == 1e-4 and by_setting[0].params["beta1"] == 0.8  # the defaults first: ring8's own (PacGAN's)
    others = [by_setting[i].params for i in range(1, 5)]
    assert all(1e-5 <= p["lr"] <= 1e-2 and 1 <= p["n_disc"] <= 5 and 0 <= p["beta1"] <= 1 for p in others)
    assert len({p["lr"] for p in others}) == 4
    # the sampler's own distributions are recorded, so TPE and optuna-dashboard see one space
    assert all(t.distributions["lr"] == optuna.distributions.FloatDistribution(1e-5, 1e-2, log=True) for t in ts)


@pytest.mark.slow  # over 10 s: make test's tier
def test_written_out_space_and_its_errors(tmp_path):
    spec, study_dir = _study(tmp_path, "name: t\nvariants: [wgan_gp]\ndatasets: [ring8]\narch: mlp_small\nbudget: {settings: 3}\nsteps: 10\n"
                                       "space:\n  wgan_gp: {lr: [log, 1e-4, 1e-3], n_disc: [int, 2, 3], penalty_weight: 0.5, "
                                       "d_batch_norm: [choice, false]}\n")
    assert spec.study_name("wgan_gp", "ring8") == "t.wgan_gp.ring8.custom"
    run_local(study_dir, workers=1, progress=False)
    ts = _load(spec, study_dir, spec.study_name("wgan_gp", "ring8")).get_trials()
    for t in ts[1:]:
        assert 1e-4 <= t.params["lr"] <= 1e-3 and t.params["n_disc"] in (2, 3) and t.params["penalty_weight"] == 0.5
    for bad, field in [("{lr: [log, 0, 1]}", "space.wgan_gp.lr"), ("{colour: 1}", "space.wgan_gp.colour"),
                       ("{lr: [normal, 0, 1]}", "space.wgan_gp.lr")]:
        (tmp_path / "b.yaml").write_text(f"variants: [wgan_gp]\ndatasets: [ring8]\narch: mlp_small\nbudget: {{settings: 3}}\nsteps: 10\n"
                                         f"space:\n  wgan_gp: {bad}\n")
        with pytest.raises(SpecError, match=f"^{field}"):
            load_spec(tmp_path / "b.yaml")


@pytest.mark.slow  # over 10 s: make test's tier
def test_seed_phase_retrains_the_best_setting(tmp_path):
    spec, study_dir = _study(tmp_path, "name: t\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\n"
                                       "budget: {settings: 3, seeds: 3}\nsteps: 60\n")
    rows = run_local(study_dir, workers=2, progress=False)
    search = _load(spec, study_dir, spec.study_name("ns_gan", "ring8")).get_trials()
    seeds = _load(spec, study_dir, spec.seed_study_name("ns_gan", "ring8")).get_trials()
    assert len(search) == 3 and len(seeds) == 3 and all(t.state == TrialState.COMPLETE for t in search + seeds)
    best = min(search, key=lambda t: (t.value, t.number))
    assert [(t.params, t.user_attrs["setting"]) for t in seeds] == [(best.params, best.user_attrs["setting"])] * 3
    assert len({t.user_attrs["seed"] for t in seeds} | {t.user_attrs["seed"] for t in search}) == 6
    assert sorted(t.user_attrs["run_dir"] for t in seeds) == [f"trials/ns_gan/ring8/seed-{i}" for i in range(3)]
    assert all((study_dir / t.user_attrs["run_dir"] / "metrics.json").exists() for t in seeds)
    finite = [t.value for t in seeds if math.isfinite(t.value)]  # mode KL is inf when no sample is near a mode
    assert rows[0]["seeds_done"] == 3 and rows[0]["seeds_finite"] == len(finite)
    assert rows[0]["seeds_mean"] == (pytest.approx(sum(finite) / len(finite)) if finite else None)


@pytest.mark.slow  # 150-260 s on 2 cores: make test's, not make check's
def test_hyperband_spends_the_step_budget_and_prunes_at_its_rungs(tmp_path):
    spec, study_dir = _study(tmp_path, "name: hyperband\nvariants: [ns_gan]\ndatasets: [mnist5k]\narch: conv_small\nspace: narrow\npruner: hyperband\n"
                                       "budget: {settings: 4, seeds: 2}\nsteps: 30\neval_every: 10\nextractor: lenet-mnist\n"
                                       "n_fake: 200\nn_real: 200\n")
    rows = run_local(study_dir, workers=1, progress=False)
    seeds = _load(spec, study_dir, spec.seed_study_name("ns_gan", "mnist5k")).get_trials()  # never pruned: every seed to the end
    assert len(seeds) == 2 and all(t.state == TrialState.COMPLETE and t.user_attrs["steps"] == 30 for t in seeds)
    ts = [t for t in _load(spec, study_dir, spec.study_name("ns_gan", "mnist5k")).get_trials() if t.state != TrialState.WAITING]
    used = sum(t.user_attrs["steps"] for t in ts)
    assert rows[0]["steps_used"] == used and spec.budget_steps - spec.steps < used <= spec.budget_steps == 120
    pruned = [t for t in ts if t.state == TrialState.PRUNED]
    assert pruned and len(ts) > 4  # pruning freed steps for more settings than plain random search gets
    for t in pruned:
        assert t.user_attrs["status"] == "pruned" and t.user_attrs["steps"] in (10, 20)
        assert t.value == t.intermediate_values[t.user_attrs["steps"]]


def test_a_damaged_journal_is_refused_in_one_line_and_left_as_it_is(ganbench, tmp_path):
    """A write cut off (a killed worker, a full disk) or something appended: Optuna would append after the bad
    record and make every later read fail. status and resume say where, keep the file byte for byte, and the
    suggested truncate keeps every readable trial."""
    import shutil

    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 20\n")
    assert ganbench("sweep", "run", spec, "--dir", tmp_path / "study").returncode == 0
    for damage in ("cut", "garbage"):
        study = tmp_path / damage
        shutil.copytree(tmp_path / "study", study)
        journal = study / "optuna.journal"
        intact = journal.read_bytes()
        journal.write_bytes(intact[:-40] if damage == "cut" else intact + b"\x00\x00garbage\n")
        before = journal.read_bytes()
        for command in ("status", "resume"):
            r = ganbench("sweep", command, study)
            assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unreadable record at line" in r.stderr, r.stderr
            assert journal.read_bytes() == before
        size = int(r.stderr.split("truncate -s ")[1].split()[0])
        journal.write_bytes(before[:size])
        r = ganbench("sweep", "status", study, "--json")
        finished = json.loads(r.stdout)["studies"][0]["finished"]
        assert r.returncode == 0 and (finished == 2 if damage == "garbage" else finished >= 1), finished


@pytest.mark.slow
def test_a_frozen_worker_is_replaced_and_its_late_result_not_counted(tmp_path, monkeypatch):
    """SIGSTOP a worker for longer than the heartbeat grace period: another worker judges its trial lost and re-runs
    it from the checkpoint. SIGCONT: the frozen worker finds its trial re-run and stops without telling the study,
    so the setting is counted once, and it leaves the finished run directory alone."""
    monkeypatch.setenv("GANBENCH_HEARTBEAT_S", "1")
    monkeypatch.setenv("GANBENCH_GRACE_S", "6")
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 1}\nsteps: 600\n")
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    frozen = subprocess.Popen([sys.executable, "-m", "ganbench.sweeps.worker", str(study_dir)], stdout=subprocess.PIPE, text=True)
    checkpoint = study_dir / "trials" / "ns_gan" / "ring8" / "0.partial" / "last.ckpt"
    deadline = time.time() + 120
    while not checkpoint.exists():
        assert time.time() < deadline and frozen.poll() is None
        time.sleep(0.1)
    frozen.send_signal(signal.SIGSTOP)
    time.sleep(8)  # past the grace period
    run_local(study_dir, workers=1, progress=False)  # recovers the trial and finishes it from the checkpoint
    frozen.send_signal(signal.SIGCONT)
    out, _ = frozen.communicate(timeout=120)
    ts = trials(study_dir)
    done, lost = [t for t in ts if t.state == TrialState.COMPLETE], [t for t in ts if t.state == TrialState.FAIL]
    assert len(done) == 1 and len(lost) == 1 and lost[0].user_attrs["status"] == "lost", [(t.state, t.user_attrs.get("status")) for t in ts]
    assert done[0].user_attrs["resumed_from_step"] > 0 and done[0].user_attrs["steps"] == 600
    assert "re-run" in out or "declared lost" in out, out
    run_dir = study_dir / "trials" / "ns_gan" / "ring8"
    assert sorted(p.name for p in run_dir.iterdir()) == ["0"] and (run_dir / "0" / "metrics.json").is_file()


PACKED = """
name: p
protocol: pacgan2018
variants: [ns_gan]
datasets: [ring8]
pack: [2]
space: narrow
budget: {settings: 2}
steps: 150
"""


@pytest.mark.slow(seconds=40)
def test_a_packed_studys_lost_and_failed_trials_are_retried_as_the_trials_they_were(tmp_path, monkeypatch, ganbench):
    """PacGAN's protocol at pack 2: setting 0 fails in training, setting 1's worker is SIGKILLed mid-trial; `sweep
    resume` runs both again with the same packing, protocol and setting (each retry's config.json says so), and no
    unpacked run appears."""
    (tmp_path / "p.yaml").write_text(PACKED)
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(tmp_path / "p.yaml"))
    spec = load_saved_spec(study_dir)
    (study, _), = storage.create_studies(spec, storage_for(study_dir))
    first, second = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)

    def broken(*args, **kwargs):
        raise RuntimeError("training broke")

    monkeypatch.setattr("ganbench.benchmark.train.train", broken)  # the real trial path up to training: its setting is recorded, then it fails
    claimed = claims.claim(study, spec.steps)
    assert claimed.number == first.number
    runner.run_trial(study, claimed, spec, study_dir)
    monkeypatch.undo()
    failed = study.get_trials(deepcopy=False)[first.number]
    assert failed.state == TrialState.FAIL and failed.user_attrs["status"] == "failed"

    worker = subprocess.Popen([sys.executable, "-m", "ganbench.sweeps.worker", str(study_dir)])
    deadline = time.time() + 120
    while time.time() < deadline:  # kill it once it trains setting 1 (recorded itself, its run folder begun)
        running = [t for t in trials_of(study_dir, spec) if t.state == TrialState.RUNNING and t.user_attrs.get("host")]
        if running and list((study_dir / "trials").rglob("*.partial")):
            break
        time.sleep(0.1)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    (lost,) = [t for t in trials_of(study_dir, spec) if t.state == TrialState.RUNNING]
    assert lost.user_attrs["setting"] == 1

    assert ganbench("sweep", "resume", study_dir).returncode == 0
    ts = trials_of(study_dir, spec)
    done = {t.user_attrs["setting"]: t for t in ts if t.state == TrialState.COMPLETE}
    assert sorted(done) == [0, 1] and {t.user_attrs["retry_of"] for t in done.values()} == {failed.number, lost.number}
    for setting, original in ((0, failed), (1, lost)):
        t = done[setting]
        assert (t.user_attrs["pack"], t.user_attrs["protocol"], t.params) == (2, "pacgan2018", original.params)
        config = json.loads((study_dir / t.user_attrs["run_dir"] / "config.json").read_text())
        assert (config["pack"], config["protocol"]) == (2, "pacgan2018")
        assert all(config[k] == v for k, v in original.params.items())
    assert [p.name for p in (study_dir / "trials").iterdir()] == ["ns_gan.pack2"]
    assert retries.retry_failed(spec, storage_for(study_dir)) == 0  # the failed attempt is re-run once, not at every resume
    assert len(trials_of(study_dir, spec)) == len(ts)


def trials_of(study_dir, spec):
    return optuna.load_study(study_name=spec.study_name("ns_gan", "ring8", 2), storage=storage_for(study_dir)).get_trials()
