"""Simulation of accel-v1: the accelerator with a DRAM model inside the simulator, jobs
with their DRAM image and golden result, and the cocotb testbench. The job builder takes
``bits`` (the bit-serial core's precision, chosen per job); a systolic design refuses it."""

from sim.family import SimFamily

SIMULATION = SimFamily("accel-v1", "sim.accel.testbench", "sim.accel.jobs:gemm_job",
                       checked_design="sim.accel.system:emit_system",
                       run_time_precision=True, simulate="sim.accel.harness:simulate")
