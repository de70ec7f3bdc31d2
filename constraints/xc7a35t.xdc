# XC7A35T-1CSG324C on the Digilent Arty A7-35T: 100 MHz oscillator on E3, button BTN0 (D9)
# as reset, and the serial stream pins of the hwdse IO shim on PMOD JA. For Vivado: hwdse
# itself only synthesizes 7-series designs with Yosys (synth_xilinx) for an area estimate.
set_property -dict { PACKAGE_PIN E3 IOSTANDARD LVCMOS33 } [get_ports clk]
create_clock -name clk -period ${clock_period_ns} [get_ports clk]
set_property -dict { PACKAGE_PIN D9 IOSTANDARD LVCMOS33 } [get_ports rst]
set_property -dict { PACKAGE_PIN G13 IOSTANDARD LVCMOS33 } [get_ports in_bit]
set_property -dict { PACKAGE_PIN B11 IOSTANDARD LVCMOS33 } [get_ports in_shift]
set_property -dict { PACKAGE_PIN A11 IOSTANDARD LVCMOS33 } [get_ports in_valid]
set_property -dict { PACKAGE_PIN D12 IOSTANDARD LVCMOS33 } [get_ports in_ready]
set_property -dict { PACKAGE_PIN D13 IOSTANDARD LVCMOS33 } [get_ports out_valid]
set_property -dict { PACKAGE_PIN B18 IOSTANDARD LVCMOS33 } [get_ports out_ready]
set_property -dict { PACKAGE_PIN A18 IOSTANDARD LVCMOS33 } [get_ports out_bit]
set_property -dict { PACKAGE_PIN K16 IOSTANDARD LVCMOS33 } [get_ports out_shift]
