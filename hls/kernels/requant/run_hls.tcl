# Vitis HLS script for the requant kernel: C simulation, synthesis, co-simulation, IP export.
# Run from this folder: vitis_hls -f run_hls.tcl. Part and clock follow the default design (Alveo U250, 300 MHz);
# `prunesim hls export` writes projects with the configured design's values.
open_project -reset requant_prj
set_top requant_top
add_files requant_top.cpp -cflags "-I../../include -std=c++14"
add_files -tb requant_tb.cpp -cflags "-I../../include -std=c++14"
open_solution -reset solution1 -flow_target vivado
set_part xcu250-figd2104-2L-e
create_clock -period 3.333 -name default
csim_design
csynth_design
cosim_design
export_design -format ip_catalog
exit
