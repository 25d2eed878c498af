"""What a job was given to run on: its CPUs and GPUs (Ray's assignment for a `launcher=ray` job,
else the process's own), and torch threads that follow the CPUs."""

import os
import sys
from typing import Any

import torch


def assigned() -> dict[str, Any]:
    """The CPUs and GPUs this process may use, and who assigned them (`ray` or `process`).

    `gpus` are the device ids as the machine numbers them; CUDA_VISIBLE_DEVICES maps them to
    cuda:0, cuda:1, … inside the job, so a job given GPU 2 trains on its cuda:0.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    ray_task = _ray_task()
    if ray_task is not None:
        return {"by": "ray", **ray_task, "cuda_visible_devices": visible}
    # the cores this process may run on (Linux); elsewhere all of them
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "by": "process",
        "cpus": cpus,
        "gpus": [int(i) for i in visible.split(",") if i.strip().isdigit()] if visible else None,
        "cuda_visible_devices": visible,
    }


def _ray_task() -> dict[str, Any] | None:
    """CPUs, GPU ids and node of the Ray task this process is running, or None outside one."""
    ray = sys.modules.get("ray")  # imported by the Ray worker; never imported here otherwise
    if ray is None or not ray.is_initialized():
        return None
    context = ray.get_runtime_context()
    if context.get_task_id() is None:  # the driver: the sweep itself, not a job
        return None
    resources = context.get_assigned_resources()
    return {
        "cpus": resources.get("CPU", 0),
        "gpus": [int(i) for i in ray.get_gpu_ids()],
        "node": context.get_node_id(),
    }


def follow_assigned_cpus() -> None:
    """Give torch as many threads as the Ray task has CPUs (by default torch takes every core,
    so jobs sharing a machine would fight over them)."""
    ray_task = _ray_task()
    if ray_task is not None and ray_task["cpus"]:
        torch.set_num_threads(max(1, int(ray_task["cpus"])))
