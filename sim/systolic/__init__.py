"""cocotb testbench, driver and golden model of the systolic array."""

from sim.family import SimFamily

SIMULATION = SimFamily("systolic-v1", "sim.stream_testbench", "sim.systolic.jobs:gemm_job",
                       operands_job="sim.systolic.jobs:network_operands_job")
