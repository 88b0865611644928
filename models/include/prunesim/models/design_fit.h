#pragma once
// The design a device gets for the design keys a configuration leaves unset, so that a device file alone runs
// (README "A design fitted to the device"). The rule, applied key by key:
//
//  * clock.mhz: 300 MHz (where UltraScale+ kernels usually close timing), capped at device.max_clock_mhz.
//  * pe.rows, pe.cols (systolic engine): the largest power-of-two array, square or twice as wide as tall,
//  whose
//    int8 DSPs fit in 80 % of one SLR's DSPs. One SLR, because UG949 asks to keep tightly connected logic
//    within one die (an SLR crossing costs a pipeline stage on every systolic link); 80 % is our margin for
//    routing and timing closure, a design choice, not a vendor figure. Other engines keep their own keys.
//  * buffer.act and buffer.weight: URAM when the device has it, else BRAM36, else M10K. The activation
//    buffer is the largest power of two within a quarter of that memory; the weight tile is a quarter of it,
//    double-buffered. buffer.out: BRAM36, else M10K, else URAM; the largest power of two within an eighth.
//    Banks are one primitive wide (72 bits, or 40 on M10K); 32 banks (64 for the output), as built in.
//  * Then, while a memory kind is above 80 % of the device's, the fitted buffer using most of it gives way:
//    half the banks where that saves primitives, else half the bytes.
//
// The built-in design is this rule applied to the built-in device (the Alveo U250); a test checks it.
#include <functional>
#include <string>
#include <vector>

#include "prunesim/models/hw_config.h"

namespace prunesim::models {

// Design keys the rule can fit, by configuration key name.
const std::vector<std::string>& fittable_design_keys();

// Fits every key of fittable_design_keys() for which `is_set` is false; returns the keys it fitted, in the
// order of fittable_design_keys().
std::vector<std::string> fit_design(HwConfig& hw, const std::function<bool(const std::string&)>& is_set);

}  // namespace prunesim::models
