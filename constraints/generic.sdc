# Clock target of the hwdse IO shim's top level, for any SDC-reading flow.
create_clock -name clk -period ${clock_period_ns} [get_ports clk]
