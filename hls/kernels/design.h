// The design constants the kernel tops are built for. This file is the C-simulation default (the shapes the
// testbenches in these folders use); `prunesim hls export` writes a design.h of the configured design beside
// the same tops, and copies the tops unchanged. The number type comes from PRUNESIM_HLS_NUMBER (types.h).
#pragma once
#include <cstdint>

#include "prunesim/hls/types.h"

struct DesignGemm {
  static const int max_m = 32, max_k = 64, max_n = 48;
  static const int R = 8, Cc = 8;                                     // PE array rows x columns
  static const int BH = 4, BW = 8, max_blocks = (48 / 4) * (64 / 8);  // pruning blocks
  using in_t = prunesim::hls::data_t;
  using w_t = prunesim::hls::data_t;
  using acc_t = prunesim::hls::acc_t;
};

static const int kDModel = 1024;      // widest layernorm / RMSNorm row
static const int kSoftmaxCols = 256;  // widest softmax row
using softmax_prob_t = int8_t;        // integer softmax output: int8 at 1/127 (int16 at 1/32767 when wide)
static const int32_t kSoftmaxProbOne = 127;
static const int kTopkN = 256;  // token scores, padded to a power of two
static const int kComparators = 16;
static const int kGruHidden = 256;
