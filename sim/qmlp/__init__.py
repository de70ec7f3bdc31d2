"""Simulation of qmlp-v1: host-side jobs for the generic stream testbench."""

from sim.family import SimFamily

SIMULATION = SimFamily("qmlp-v1", "sim.stream_testbench", "sim.qmlp.jobs:gemm_job",
                       network_job="sim.qmlp.jobs:inference_job")
