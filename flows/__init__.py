"""Verilog emission, FPGA flows and the ``hwdse`` command line (the front of the flows)."""
