"""RTL simulation: Verilator through cocotb, golden models, exact cycle counts.

Importing ``sim`` is cheap; cocotb and Amaranth load only when a simulation runs.
"""
