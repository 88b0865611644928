#pragma once
// The number types of the kernels, chosen in one place by a project macro (never by __SYNTHESIS__, which
// Vitis defines only during synthesis, not in C simulation):
//   PRUNESIM_HLS_NUMBER = 0  float (fast C simulation, the default)
//   PRUNESIM_HLS_NUMBER = 1  int8 operands, int32 accumulation, requantization to int8 (bit-exact with ap_int
//   of
//                            the same widths: plain C++ integers of those widths wrap and round identically)
//   PRUNESIM_HLS_NUMBER = 2  SystemC sc_fixed for odd widths (C simulation links libsystemc)
//   PRUNESIM_HLS_NUMBER = 3  int16 operands, int64 accumulation (int16 x int16 sums overflow int32 past 2
//   terms
//                            of full-scale products)
#include <cstdint>

#ifndef PRUNESIM_HLS_NUMBER
#define PRUNESIM_HLS_NUMBER 0
#endif

#if PRUNESIM_HLS_NUMBER == 2
#define SC_INCLUDE_FX
#include <systemc>
#endif

namespace prunesim {
namespace hls {

#if PRUNESIM_HLS_NUMBER == 0
using data_t = float;  // activations and weights
using acc_t = float;   // accumulators
#elif PRUNESIM_HLS_NUMBER == 1
using data_t = int8_t;
using acc_t = int32_t;
#elif PRUNESIM_HLS_NUMBER == 3
using data_t = int16_t;
using acc_t = int64_t;
#else
using data_t = sc_dt::sc_fixed<12, 4>;  // 12 bits, 4 integer: an odd width no native type has
using acc_t = sc_dt::sc_fixed<32, 12>;
#endif

// Float used inside the non-linear kernels whatever the GEMM type (exp, erf, sqrt).
using nl_t = float;

}  // namespace hls
}  // namespace prunesim
