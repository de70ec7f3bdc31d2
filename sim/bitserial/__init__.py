"""Host side, golden model and stimulus of the bit-serial array."""

from sim.family import SimFamily

SIMULATION = SimFamily("bitserial-v1", "sim.stream_testbench", "sim.bitserial.jobs:gemm_job",
                       operands_job="sim.bitserial.jobs:network_operands_job",
                       run_time_precision=True)
