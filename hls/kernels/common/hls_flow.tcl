# The Vitis HLS flow every kernel folder runs: C simulation, synthesis, co-simulation, IP export.
# The caller sets: kernel (folder and file prefix), top (function), part, period (ns).
open_project -reset ${kernel}_prj
set_top $top
add_files ${kernel}_top.cpp -cflags "-I../../include -std=c++14"
add_files -tb ${kernel}_tb.cpp -cflags "-I../../include -std=c++14"
open_solution -reset solution1 -flow_target vivado
set_part $part
create_clock -period $period -name default
csim_design
csynth_design
cosim_design
export_design -format ip_catalog
exit
