"""On a GPU (`make gpu-check` runs these; skipped without CUDA): device placement of each protocol's own layers and
optimiser, the study's FID path through torch-fidelity with the lenet extractor, and CPU/CUDA agreement."""
import pytest
import torch

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def _one_step(config, device):
    from ganbench.benchmark.data import Split
    from ganbench.benchmark.module import RealBatches, build_module

    torch.manual_seed(0)
    module = build_module(config, (2,))
    torch.manual_seed(1)
    data = torch.randn(200, config["pack"], 2)
    module = module.to(device)
    module.real = RealBatches(Split(tensor=data), config["batch_size"], 0).to(device)
    module.outside_trainer()
    z = torch.randn(config["batch_size"] * config["pack"], 2)
    module.sample_z = lambda n: z[:n].to(device)  # the same latents on both devices
    module.protocol.step.run(module)
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}


def test_pacgan2018_step_on_cuda_equals_cpu():
    """BlocksBatchNorm's population buffers and BlocksAdam's state live on the device; one step gives the CPU's numbers."""
    from ganbench.benchmark.config import resolve_config

    c = resolve_config(variant="ns_gan", dataset="grid25", protocol="pacgan2018", steps=10, pack=2)
    cpu, cuda = _one_step(c, "cpu"), _one_step(c, "cuda")
    for k in cpu:
        assert torch.allclose(cpu[k], cuda[k], atol=1e-4), k


def test_lucic2018_run_on_cuda_scores_fid_with_lenet(tmp_path):
    """The study's nets with TF batch norm, trained and scored on the GPU: FID at the study's checkpoints through
    torch-fidelity on CUDA; the run then loads and scores on the CPU."""
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train
    from ganbench.cli import main

    c = resolve_config(variant="ns_gan", dataset="mnist5k", protocol="lucic2018", steps=20, eval_every=10,
                       extractor="lenet-mnist", n_fake=500, n_real=500, device="cuda")
    m = train(c, tmp_path / "run", progress=False)
    assert m["status"] == "finished" and [h["step"] for h in m["fid_history"]] == [11, 20]  # the study's checkpoint rule
    assert 0 < m["fid_min"] < 1e4 and not m["device"].startswith("cpu")
    assert main(["eval", str(tmp_path / "run"), "--device", "cpu", "--checkpoint", "last"]) == 0
