"""Simulation of accel-v1: the accelerator with a DRAM model inside the simulator, jobs
with their DRAM image and golden result, and the cocotb testbench."""

from sim.family import SimFamily

SIMULATION = SimFamily("accel-v1", "sim.accel.testbench", "sim.accel.jobs:gemm_job",
                       checked_design="sim.accel.system:emit_system")
