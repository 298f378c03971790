"""The machine a number was made on, as far as the number depends on it: the CPU, the instruction sets the math
kernels (ATen, MKL, oneDNN) were allowed, and the packages that do the sums. Kept studies and the same-seed reference
record it. The named kernel settings let one machine stand in for others: each holds the kernels to another
instruction set through the libraries' own environment variables, read when they load (so a setting applies to a
new process, never to this one)."""
from __future__ import annotations

from typing import Any

import os
import platform
from pathlib import Path

KERNEL_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA")

# x86-64 settings: each library alone at a lower instruction set, and all three together at AVX2 and at SSE
KERNEL_SETTINGS: dict[str, dict[str, str]] = {
    "native": {},
    "all-avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "all-sse": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "aten-avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "mkl-sse4_2": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "mkl-avx": {"MKL_ENABLE_INSTRUCTIONS": "AVX"},
    "onednn-sse41": {"ONEDNN_MAX_CPU_ISA": "SSE41"},
    "onednn-avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
}


def kernel_env(setting: str, base: dict[str, Any] | None = None) -> dict[str, str]:
    """An environment for a new process under ``setting``: ``base`` (default: this one's) without any kernel variable
    of its own, plus the setting's."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in KERNEL_VARIABLES}
    return {**env, **KERNEL_SETTINGS[setting]}


def cpu_model() -> str:
    info = Path("/proc/cpuinfo")
    if info.is_file():
        for line in info.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What this process computes on: CPU model and architecture, cores it may use, the instruction set ATen's
    kernels run at, the kernel variables set, and torch's, numpy's and Python's versions (CUDA's device if any)."""
    import numpy
    import torch

    return {"system": platform.system(), "processor": platform.processor() or platform.machine(), "cpu": cpu_model(),
            "arch": platform.machine(), "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "aten_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "kernel_variables": {k: os.environ[k] for k in KERNEL_VARIABLES if k in os.environ},
            "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
