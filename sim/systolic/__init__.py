"""cocotb testbench, driver and golden model of the systolic array."""
