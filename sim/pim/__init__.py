"""Host side, DRAM-PIM device model and cocotb testbenches of the PIM controller.

The device model runs in Python, stepped by cocotb every cycle (``sim.pim.testbench``, the
family's testbench below), or in C++ inside the simulator (``sim.pim.harness``, same rules
and messages); ``sim.pim.harness.simulate`` runs either backend.
"""

from sim.family import SimFamily

#: The testbench counts the controller's events itself, so the plain design is simulated.
SIMULATION = SimFamily("pim-v1", "sim.pim.testbench", "sim.pim.jobs:gemv_job",
                       checked_design="flows.verilog:emit")
