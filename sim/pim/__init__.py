"""Host side, DRAM-PIM device model and cocotb testbench of the PIM controller."""
