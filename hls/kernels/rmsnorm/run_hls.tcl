# Vitis HLS script for the rmsnorm kernel. Run from this folder: vitis_hls -f run_hls.tcl
# Part and clock follow the default design (Alveo U250, 300 MHz); `prunesim hls export` writes projects with the
# configured design's values.
set kernel rmsnorm
set top rmsnorm_top
set part xcu250-figd2104-2L-e
set period 3.333
source ../common/hls_flow.tcl
