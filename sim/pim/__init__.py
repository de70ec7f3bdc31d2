"""Host side, DRAM-PIM device model and cocotb testbench of the PIM controller."""

from sim.family import SimFamily

#: The testbench counts the controller's events itself, so the plain design is simulated.
SIMULATION = SimFamily("pim-v1", "sim.pim.testbench", "sim.pim.jobs:gemv_job",
                       checked_design="flows.verilog:emit")
