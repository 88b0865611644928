#!/usr/bin/python3
"""Writes the seed corpus of each libFuzzer harness (tests/fuzz/fuzz_NAME.cpp) into OUTDIR/NAME/.

Seeds are valid inputs of every kind the project ships or its tests build, so mutation starts from inputs
that reach deep into each reader:
  trace         the sample traces in traces/
  config        every INI under configs/, each followed (after a NUL) by --set lines, plus small models
  hf_model      tiny BERT, ViT and GPT-2 checkpoints (config.json, NUL, safetensors), seeded weights
  ddr_requests  request files in both accepted formats
  sweep_file    sweep files with grids, zips, sets
  onnx          the ONNX graphs tests/onnx/make_models.py builds (needs python3-onnx)

Usage: make_seeds.py SOURCE_DIR OUTDIR
"""
import glob
import json
import os
import random
import shutil
import struct
import sys
import tempfile

SEED = 20261203


def put(outdir, harness, name, data):
    d = os.path.join(outdir, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors):
    """tensors: list of (name, shape, values) as F32, in name order (as write_safetensors writes them)."""
    header, blobs, offset = {}, [], 0
    for name, shape, values in sorted(tensors):
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def tiny_checkpoint(kind, rng, d=8, f=16, layers=1):
    t = []

    def add(name, shape, scale=0.2, offset=0.0):
        n = 1
        for s in shape:
            n *= s
        t.append((name, shape, [offset + rng.gauss(0, scale) for _ in range(n)]))

    for l in range(layers):
        if kind == "gpt2":
            b = "h.%d." % l
            add(b + "attn.c_attn.weight", [d, 3 * d]), add(b + "attn.c_attn.bias", [3 * d])
            add(b + "attn.c_proj.weight", [d, d]), add(b + "attn.c_proj.bias", [d])
            add(b + "mlp.c_fc.weight", [d, f]), add(b + "mlp.c_fc.bias", [f])
            add(b + "mlp.c_proj.weight", [f, d]), add(b + "mlp.c_proj.bias", [d])
            for ln in ("ln_1", "ln_2"):
                add(b + ln + ".weight", [d], 0.1, 1.0), add(b + ln + ".bias", [d], 0.1)
            continue
        att = "attention.self." if kind == "bert" else "attention.attention."
        b = "%s.encoder.layer.%d." % (kind, l)
        for w in ("query", "key", "value"):
            add(b + att + w + ".weight", [d, d]), add(b + att + w + ".bias", [d])
        add(b + "attention.output.dense.weight", [d, d]), add(b + "attention.output.dense.bias", [d])
        add(b + "intermediate.dense.weight", [f, d]), add(b + "intermediate.dense.bias", [f])
        add(b + "output.dense.weight", [d, f]), add(b + "output.dense.bias", [d])
        lns = ("attention.output.LayerNorm.", "output.LayerNorm.") if kind == "bert" else (
            "layernorm_before.", "layernorm_after.")
        for ln in lns:
            add(b + ln + "weight", [d], 0.1, 1.0), add(b + ln + "bias", [d], 0.1)
    if kind == "gpt2":
        config = {"model_type": "gpt2", "n_embd": d, "n_head": 2, "n_layer": layers, "n_inner": f,
                  "vocab_size": 64, "layer_norm_epsilon": 1e-5}
    elif kind == "bert":
        config = {"model_type": "bert", "hidden_size": d, "num_attention_heads": 2, "num_hidden_layers": layers,
                  "intermediate_size": f, "vocab_size": 64, "layer_norm_eps": 1e-12}
    else:
        config = {"model_type": "vit", "hidden_size": d, "num_attention_heads": 2, "num_hidden_layers": layers,
                  "intermediate_size": f, "image_size": 16, "patch_size": 8, "num_channels": 3}
    return json.dumps(config, indent=1).encode() + b"\0" + safetensors(t)


def main():
    src, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    rng = random.Random(SEED)

    for path in sorted(glob.glob(os.path.join(src, "traces", "*.trace"))):
        put(out, "trace", os.path.basename(path), open(path, "rb").read())

    sets = ["workload.layers=1\nworkload.seq=8\nworkload.d_model=16\nworkload.heads=2\nworkload.mlp=32\n",
            "workload.model=bert-base\nworkload.prune=all=rowbalanced:8:0.25 heads=0.5\nworkload.quant=int4\n",
            "workload.model=gpt2\nworkload.decode=4\nworkload.prune=all=nm:2:4\n",
            "workload.model=gru\nworkload.prune=all=block:4x4:0.5\nworkload.quant=gru_ih=int8,gru_hh=int4\n",
            "pe.rows=8\npe.cols=8\nddr.mapping=row_bank_column\n"]
    for i, path in enumerate(sorted(glob.glob(os.path.join(src, "configs", "**", "*.ini"), recursive=True))):
        rel = os.path.relpath(path, os.path.join(src, "configs")).replace("/", "-")
        put(out, "config", rel, open(path, "rb").read() + b"\0" + sets[i % len(sets)].encode())
    put(out, "config", "small-model.ini",
        "[workload]\nmodel = bert-base\nlayers = 1\nseq = 8\nd_model = 16\nheads = 2\nmlp = 32\n"
        "prune = all=hier:4x4:0.5:2 heads=0.5 neurons=0.5\ntoken_layers = 0\ntoken_keep = 0.5\n\0"
        "workload.quant=act=int16\n")
    put(out, "config", "model-file.ini",
        "[model]\nname = tiny\nfamily = encoder\nlayers = 1\nd_model = 16\nheads = 2\nmlp = 32\nseq = 8\n")

    for kind in ("bert", "vit", "gpt2"):
        put(out, "hf_model", kind + ".bin", tiny_checkpoint(kind, rng))

    lines = ["# arrival_ns R|W address [bytes]"]
    t = 0.0
    for i in range(64):
        t += rng.choice([0, 1.25, 10, 100])
        lines.append("%g %s 0x%x %d" % (t, rng.choice("RW"), rng.randrange(0, 1 << 30, 64), rng.choice([64, 256])))
    put(out, "ddr_requests", "mixed.req", "\n".join(lines) + "\n")
    put(out, "ddr_requests", "sequential.req", "".join("0 R 0x%x 64\n" % (64 * i) for i in range(128)))
    put(out, "ddr_requests", "dramsim3.req",
        "".join("0x%x %s %d\n" % (rng.randrange(0, 1 << 28, 64), rng.choice(["READ", "WRITE"]), 4 * i)
                for i in range(64)))

    put(out, "sweep_file", "grid.sweep", "# two axes\ngrid pe.rows=8,16\ngrid pe.cols=8:32:8\n"
        "set workload.model=gru\n")
    put(out, "sweep_file", "zip.sweep", "zip pe.rows=8,16\nzip pe.cols=16,8\nset workload.layers=1\n")
    put(out, "sweep_file", "config.sweep",
        "config %s\ngrid workload.token_keep=0.5:0.9:0.2\n" % os.path.join(src, "configs", "examples",
                                                                           "gru-de1soc.ini"))

    # The test graphs of tests/onnx/make_models.py, built smaller (the same op patterns, fewer weights): a
    # mutated input is then mostly graph, not weight bytes.
    sys.path.insert(0, os.path.join(src, "tests", "onnx"))
    import numpy as np
    import make_models as mm
    mm.BERT.update(layers=2, d=16, heads=2, mlp=32, vocab=16)
    mm.GPT2.update(layers=2, d=16, heads=2, mlp=32, vocab=16)
    mm.VIT.update(layers=1, d=16, heads=2, mlp=32, image=16, classes=4)
    mm.GRU.update(layers=1, input=4, hidden=8, seq=4)
    with tempfile.TemporaryDirectory() as models:
        for build, offset in ((mm.bert, 0), (mm.gpt2, 1), (mm.vit, 2), (mm.gru, 3)):
            build(models, np.random.default_rng(mm.SEED + 10 * offset))
        mm.malformed(models)
        for path in sorted(glob.glob(os.path.join(models, "*.onnx"))):
            if os.path.getsize(path) <= 65536:
                put(out, "onnx", os.path.basename(path), open(path, "rb").read())
    for harness in ("trace", "config", "hf_model", "ddr_requests", "sweep_file", "onnx"):
        n = len(os.listdir(os.path.join(out, harness)))
        print("%s: %d seeds" % (harness, n))


if __name__ == "__main__":
    main()
