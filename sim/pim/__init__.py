"""Host side, DRAM-PIM device model and cocotb testbenches of the PIM controller.

The device model runs in C++ inside the simulator (``sim.pim.harness``: the family's runs,
``hwdse simulate pim`` and ``--verify``), or in Python, stepped by cocotb every cycle
(``sim.pim.testbench``: same rules, messages and records, kept to measure both ways and as
the reference); ``sim.pim.harness.simulate`` runs either backend.
"""

from sim.family import SimFamily

#: The testbench counts the controller's events itself, so the plain design is simulated.
SIMULATION = SimFamily("pim-v1", "sim.pim.testbench", "sim.pim.jobs:gemv_job",
                       checked_design="flows.verilog:emit",
                       simulate="sim.pim.harness:simulate")
