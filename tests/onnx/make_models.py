#!/usr/bin/python3
"""Builds the small ONNX test models prunesim's import tests read, with seeded weights (no training, no download).

Each graph is written in the op patterns the common exporters produce (torch.onnx.export of the Hugging Face
classes and of nn.GRU), at an opset those exporters use:

  bert.onnx  BertForSequenceClassification-like, opset 13: separate Q/K/V MatMul+Add, heads split by a Reshape
             whose shape is built from Shape/Gather/Concat, decomposed LayerNorm (ReduceMean/Sub/Pow/Sqrt/Div),
             erf GELU (Div/Erf/Add/Mul/Mul), attention-mask preparation, pooler Gemm+Tanh, classifier Gemm.
  gpt2.onnx  GPT2LMHeadModel-like, opset 14: Conv1D as Reshape/Gemm/Reshape, one fused c_attn split in three,
             tanh GELU (gelu_new), causal mask by Where, logits of the last position.
  vit.onnx   ViTForImageClassification-like, opset 17: Conv patch embedding, class token Concat, position Add,
             LayerNormalization ops, classifier on the class token.
  gru.onnx   two stacked nn.GRU layers, opset 14: ONNX GRU ops (gates z, r, h; linear_before_reset=1).

Next to each model it writes what prunesim should find equal to it:
  NAME.model.ini              the zoo model of the same dimensions (a prunesim model file);
  NAME.safetensors + NAME.config.json   the same layer weights in Hugging Face layout (transformers).

gpt2_all_logits.onnx is gpt2.onnx with the LM head on every position (as GPT2LMHeadModel exports);
bert_opset15.onnx and bert_opset16.onnx are bert.onnx at those opsets; vit_external.onnx (+ vit_external.data) is vit.onnx with its weights in an external data file.

And malformed files, each of which must be refused naming what is wrong:
  bad_truncated.onnx, bad_missing_initializer.onnx, bad_shape_mismatch.onnx, bad_unknown_op.onnx,
  bad_nan_weights.onnx (every layer weight NaN), bad_opset.onnx (opset 9), bad_arity.onnx (an Add with
  one input), bad_no_op_type.onnx (a node with an empty op type), bad_heads_overflow.onnx (a heads Reshape
  of 2 x 8.4e18), bad_foreign_add.onnx (a one-input com.example "Add" after a MatMul), bad_dims_overflow.onnx
  and bad_dims_huge.onnx (a LayerNorm gain whose dims claim 2^64+ or 2^40 values).

Usage: make_models.py OUTDIR
"""
import json
import math
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261202


class Graph:
    """Nodes and initializers of one graph, with unique names."""

    def __init__(self, name, rng):
        self.name, self.rng = name, rng
        self.nodes, self.inits, self.count = [], [], 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, hint, array):
        name = self.fresh(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, hint, shape, scale=0.1):
        return self.const(hint, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def op(self, op_type, inputs, name=None, outputs=1, domain=None, **attrs):
        name = name or self.fresh(op_type)
        outs = [f"{name}_out{i}" if outputs > 1 else f"{name}_out" for i in range(outputs)]
        kw = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs, **kw))
        return outs if outputs > 1 else outs[0]

    # The pieces exporters emit for a dynamic shape: Shape -> Gather -> Unsqueeze, then Concat.
    def dim(self, x, axis):
        shape = self.op("Shape", [x])
        d = self.op("Gather", [shape, self.const("axis", np.array(axis, np.int64))], axis=0)
        return self.op("Unsqueeze", [d, self.const("axes", np.array([0], np.int64))])

    def shape_of(self, parts):
        pieces = [p if isinstance(p, str) else self.const("dims", np.array(p, np.int64)) for p in parts]
        return self.op("Concat", pieces, axis=0)

    def model(self, inputs, outputs, opset):
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="prunesim-tests")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def layer_norm(g, x, gamma, beta, eps, opset):
    if opset >= 17:
        return g.op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=eps)
    mean = g.op("ReduceMean", [x], axes=[-1])
    d = g.op("Sub", [x, mean])
    var = g.op("ReduceMean", [g.op("Pow", [d, g.const("two", np.array(2.0, np.float32))])], axes=[-1])
    std = g.op("Sqrt", [g.op("Add", [var, g.const("eps", np.array(eps, np.float32))])])
    return g.op("Add", [g.op("Mul", [g.op("Div", [d, std]), gamma]), beta])


def gelu_erf(g, x):
    e = g.op("Erf", [g.op("Div", [x, g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))])])
    y = g.op("Mul", [x, g.op("Add", [e, g.const("one", np.array(1.0, np.float32))])])
    return g.op("Mul", [y, g.const("half", np.array(0.5, np.float32))])


def gelu_tanh(g, x):
    half_x = g.op("Mul", [x, g.const("half", np.array(0.5, np.float32))])
    cube = g.op("Pow", [x, g.const("three", np.array(3.0, np.float32))])
    inner = g.op("Add", [x, g.op("Mul", [cube, g.const("c", np.array(0.044715, np.float32))])])
    t = g.op("Tanh", [g.op("Mul", [inner, g.const("k", np.array(math.sqrt(2 / math.pi), np.float32))])])
    return g.op("Mul", [half_x, g.op("Add", [t, g.const("one", np.array(1.0, np.float32))])])


def linear(g, x, w, b, name):
    """torch nn.Linear on a 3-D input: MatMul by the transposed weight (in x out), then Add of the bias."""
    wt = g.const(name + ".weight_T", w.T.copy())
    return g.op("Add", [g.op("MatMul", [x, wt], name=name), g.const(name + ".bias", b)])


def conv1d(g, x, w, b, name, batch_seq):
    """HF GPT-2 Conv1D: addmm on the flattened tokens, exported as Reshape, Gemm (weight in x out), Reshape."""
    flat = g.op("Reshape", [x, g.const("flat", np.array([-1, w.shape[1]], np.int64))])
    y = g.op("Gemm", [flat, g.const(name + ".weight", w.T.copy()), g.const(name + ".bias", b)], name=name)
    return g.op("Reshape", [y, g.shape_of(batch_seq + [[w.shape[0]]])])


def split_heads(g, x, heads, head_dim, b, s, perm):
    r = g.op("Reshape", [x, g.shape_of([b, s, [heads, head_dim]])])
    return g.op("Transpose", [r], perm=perm)


def merge_heads(g, ctx, b, s, width):
    t = g.op("Transpose", [ctx], perm=[0, 2, 1, 3])
    return g.op("Reshape", [t, g.shape_of([b, s, [width]])])


def rand_layer(rng, d, f):
    n = lambda *shape: (rng.standard_normal(shape) * 0.1).astype(np.float32)
    return {"q": n(d, d), "qb": n(d), "k": n(d, d), "kb": n(d), "v": n(d, d), "vb": n(d),
            "o": n(d, d), "ob": n(d), "fc1": n(f, d), "fc1b": n(f), "fc2": n(d, f), "fc2b": n(d),
            "ln1g": (1 + n(d)).astype(np.float32), "ln1b": n(d), "ln2g": (1 + n(d)).astype(np.float32),
            "ln2b": n(d)}


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


# ------------------------------------------------------------------------------------------------ BERT

# classes and vocab as prunesim reads a Hugging Face config.json of the family (BERT: 2 classes, ViT: 1000).
BERT = dict(layers=2, d=64, heads=4, mlp=256, seq=16, vocab=100, classes=2, eps=1e-12)


def bert(out, rng, extra_op=None, fc2_rows=None):
    c = BERT
    d, h, hd = c["d"], c["heads"], c["d"] // c["heads"]
    g = Graph("bert", rng)
    b, s = g.dim("input_ids", 0), g.dim("input_ids", 1)
    words = g.op("Gather", [g.weight("word_embeddings", (c["vocab"], d)), "input_ids"], name="embeddings.word")
    pos_ids = g.op("Slice", [g.const("position_ids", np.arange(64, dtype=np.int64)[None, :]),
                             g.const("zero", np.array([0], np.int64)), s,
                             g.const("axis1", np.array([1], np.int64))])
    pos = g.op("Gather", [g.weight("position_embeddings", (64, d)), pos_ids], name="embeddings.position")
    types = g.op("Gather", [g.weight("token_type_embeddings", (2, d)), "token_type_ids"], name="embeddings.type")
    x = g.op("Add", [g.op("Add", [words, types]), pos])
    x = layer_norm(g, x, g.weight("emb_ln_g", (d,)), g.weight("emb_ln_b", (d,)), c["eps"], 13)
    # The additive mask: (1 - mask) * -10000, broadcast over heads and query positions.
    m = g.op("Cast", [g.op("Unsqueeze", ["attention_mask", g.const("axes", np.array([1, 2], np.int64))])],
             to=TensorProto.FLOAT)
    mask = g.op("Mul", [g.op("Sub", [g.const("one", np.array(1.0, np.float32)), m]),
                        g.const("neg", np.array(-10000.0, np.float32))])
    hf = {}
    for l in range(c["layers"]):
        w = rand_layer(rng, d, c["mlp"])
        p = f"bert.encoder.layer.{l}."
        q = split_heads(g, linear(g, x, w["q"], w["qb"], f"L{l}.query"), h, hd, b, s, [0, 2, 1, 3])
        k = split_heads(g, linear(g, x, w["k"], w["kb"], f"L{l}.key"), h, hd, b, s, [0, 2, 3, 1])
        v = split_heads(g, linear(g, x, w["v"], w["vb"], f"L{l}.value"), h, hd, b, s, [0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [q, k], name=f"L{l}.scores"),
                              g.const("scale", np.array(math.sqrt(hd), np.float32))])
        probs = g.op("Softmax", [g.op("Add", [scores, mask])], name=f"L{l}.softmax", axis=-1)
        ctx = merge_heads(g, g.op("MatMul", [probs, v], name=f"L{l}.context"), b, s, d)
        a = g.op("Add", [linear(g, ctx, w["o"], w["ob"], f"L{l}.attn_out"), x])
        x = layer_norm(g, a, g.const("ln1g", w["ln1g"]), g.const("ln1b", w["ln1b"]), c["eps"], 13)
        if extra_op and l == 0:
            x = g.op(extra_op, [x], name=f"L{l}.extra")
        fc2 = w["fc2"] if fc2_rows is None or l else w["fc2"][:, :fc2_rows]
        hmid = gelu_erf(g, linear(g, x, w["fc1"], w["fc1b"], f"L{l}.intermediate"))
        y = g.op("Add", [linear(g, hmid, fc2, w["fc2b"], f"L{l}.output"), x])
        x = layer_norm(g, y, g.const("ln2g", w["ln2g"]), g.const("ln2b", w["ln2b"]), c["eps"], 13)
        att = p + "attention.self."
        for part in "qkv":
            hf[att + {"q": "query", "k": "key", "v": "value"}[part] + ".weight"] = w[part]
            hf[att + {"q": "query", "k": "key", "v": "value"}[part] + ".bias"] = w[part + "b"]
        hf[p + "attention.output.dense.weight"], hf[p + "attention.output.dense.bias"] = w["o"], w["ob"]
        hf[p + "intermediate.dense.weight"], hf[p + "intermediate.dense.bias"] = w["fc1"], w["fc1b"]
        hf[p + "output.dense.weight"], hf[p + "output.dense.bias"] = w["fc2"], w["fc2b"]
        hf[p + "attention.output.LayerNorm.weight"], hf[p + "attention.output.LayerNorm.bias"] = w["ln1g"], w["ln1b"]
        hf[p + "output.LayerNorm.weight"], hf[p + "output.LayerNorm.bias"] = w["ln2g"], w["ln2b"]
    cls = g.op("Gather", [x, g.const("first", np.array(0, np.int64))], axis=1)
    pooled = g.op("Tanh", [g.op("Gemm", [cls, g.weight("pooler.weight", (d, d)), g.weight("pooler.bias", (d,))],
                                name="pooler", transB=1)])
    g.op("Gemm", [pooled, g.weight("classifier.weight", (c["classes"], d)), g.weight("classifier.bias", (c["classes"],))],
         name="classifier", transB=1)
    logits = g.nodes[-1].output[0]
    ids = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
    model = g.model([ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
                    [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", c["classes"]])], 13)
    if out is None:
        return model
    onnx.save(model, os.path.join(out, "bert.onnx"))
    write_safetensors(os.path.join(out, "bert.safetensors"), hf)
    write_text(os.path.join(out, "bert.config.json"), json.dumps(
        {"model_type": "bert", "hidden_size": d, "num_attention_heads": h, "num_hidden_layers": c["layers"],
         "intermediate_size": c["mlp"], "vocab_size": c["vocab"], "layer_norm_eps": c["eps"]}))
    write_text(os.path.join(out, "bert.model.ini"),
               f"[model]\nname = bert\nfamily = encoder\nbase = bert-base\nlayers = {c['layers']}\n"
               f"d_model = {d}\nheads = {h}\nmlp = {c['mlp']}\nseq = {c['seq']}\nvocab = {c['vocab']}\n"
               f"classes = {c['classes']}\n")
    return model


# ------------------------------------------------------------------------------------------------ GPT-2

GPT2 = dict(layers=2, d=64, heads=4, mlp=256, seq=16, vocab=100, eps=1e-5)


def gpt2(out, rng, last_only=True, name="gpt2"):
    c = GPT2
    d, h, hd = c["d"], c["heads"], c["d"] // c["heads"]
    g = Graph("gpt2", rng)
    b, s = g.dim("input_ids", 0), g.dim("input_ids", 1)
    seq = g.op("Squeeze", [s, g.const("axes", np.array([0], np.int64))])
    pos_ids = g.op("Range", [g.const("zero", np.array(0, np.int64)), seq, g.const("step", np.array(1, np.int64))])
    x = g.op("Add", [g.op("Gather", [g.weight("wte", (c["vocab"], d)), "input_ids"], name="wte"),
                     g.op("Gather", [g.weight("wpe", (64, d)), pos_ids], name="wpe")])
    causal = g.op("Slice", [g.const("bias", np.tril(np.ones((64, 64), bool))[None, None]),
                            g.const("zero", np.array([0, 0], np.int64)), g.op("Concat", [s, s], axis=0),
                            g.const("axes", np.array([2, 3], np.int64))])
    hf = {}
    for l in range(c["layers"]):
        w = rand_layer(rng, d, c["mlp"])
        p = f"h.{l}."
        a = layer_norm(g, x, g.const("ln1g", w["ln1g"]), g.const("ln1b", w["ln1b"]), c["eps"], 14)
        qkv_w = np.concatenate([w["q"], w["k"], w["v"]])
        qkv_b = np.concatenate([w["qb"], w["kb"], w["vb"]])
        qkv = conv1d(g, a, qkv_w, qkv_b, f"L{l}.c_attn", [b, s])
        q, k, v = g.op("Split", [qkv, g.const("split", np.array([d, d, d], np.int64))], outputs=3, axis=2)
        q = split_heads(g, q, h, hd, b, s, [0, 2, 1, 3])
        k = split_heads(g, k, h, hd, b, s, [0, 2, 3, 1])
        v = split_heads(g, v, h, hd, b, s, [0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [q, k], name=f"L{l}.scores"),
                              g.const("scale", np.array(math.sqrt(hd), np.float32))])
        scores = g.op("Where", [causal, scores, g.const("min", np.array(-3.4e38, np.float32))])
        probs = g.op("Softmax", [scores], name=f"L{l}.softmax", axis=-1)
        ctx = merge_heads(g, g.op("MatMul", [probs, v], name=f"L{l}.context"), b, s, d)
        x = g.op("Add", [x, conv1d(g, ctx, w["o"], w["ob"], f"L{l}.attn.c_proj", [b, s])])
        m = layer_norm(g, x, g.const("ln2g", w["ln2g"]), g.const("ln2b", w["ln2b"]), c["eps"], 14)
        m = gelu_tanh(g, conv1d(g, m, w["fc1"], w["fc1b"], f"L{l}.mlp.c_fc", [b, s]))
        x = g.op("Add", [x, conv1d(g, m, w["fc2"], w["fc2b"], f"L{l}.mlp.c_proj", [b, s])])
        # HF's Conv1D stores weights in x out.
        hf[p + "attn.c_attn.weight"], hf[p + "attn.c_attn.bias"] = qkv_w.T.copy(), qkv_b
        hf[p + "attn.c_proj.weight"], hf[p + "attn.c_proj.bias"] = w["o"].T.copy(), w["ob"]
        hf[p + "mlp.c_fc.weight"], hf[p + "mlp.c_fc.bias"] = w["fc1"].T.copy(), w["fc1b"]
        hf[p + "mlp.c_proj.weight"], hf[p + "mlp.c_proj.bias"] = w["fc2"].T.copy(), w["fc2b"]
        hf[p + "ln_1.weight"], hf[p + "ln_1.bias"] = w["ln1g"], w["ln1b"]
        hf[p + "ln_2.weight"], hf[p + "ln_2.bias"] = w["ln2g"], w["ln2b"]
    # Generation needs the last position's logits only.
    last = g.op("Gather", [x, g.const("last", np.array(-1, np.int64))], axis=1) if last_only else x
    last = layer_norm(g, last, g.weight("ln_f_g", (d,)), g.weight("ln_f_b", (d,)), c["eps"], 14)
    logits = g.op("MatMul", [last, g.weight("lm_head_T", (d, c["vocab"]))], name="lm_head")
    logits_dims = ["batch", c["vocab"]] if last_only else ["batch", "sequence", c["vocab"]]
    model = g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
                    [helper.make_tensor_value_info(logits, TensorProto.FLOAT, logits_dims)], 14)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    if not last_only:
        return
    write_safetensors(os.path.join(out, "gpt2.safetensors"), hf)
    write_text(os.path.join(out, "gpt2.config.json"), json.dumps(
        {"model_type": "gpt2", "n_embd": d, "n_head": h, "n_layer": c["layers"], "n_inner": c["mlp"],
         "vocab_size": c["vocab"], "layer_norm_epsilon": c["eps"]}))
    write_text(os.path.join(out, "gpt2.model.ini"),
               f"[model]\nname = gpt2\nfamily = decoder\nbase = gpt2\nlayers = {c['layers']}\nd_model = {d}\n"
               f"heads = {h}\nmlp = {c['mlp']}\nseq = {c['seq']}\nvocab = {c['vocab']}\n")


# ------------------------------------------------------------------------------------------------ ViT

VIT = dict(layers=2, d=64, heads=4, mlp=128, image=32, patch=8, channels=3, classes=1000, eps=1e-12)


def vit(out, rng):
    c = VIT
    d, h, hd, p = c["d"], c["heads"], c["d"] // c["heads"], c["patch"]
    tokens = (c["image"] // p) ** 2 + 1
    g = Graph("vit", rng)
    emb = g.op("Conv", ["pixel_values", g.weight("patch.weight", (d, c["channels"], p, p)), g.weight("patch.bias", (d,))],
               name="patch_embeddings", kernel_shape=[p, p], strides=[p, p])
    emb = g.op("Reshape", [emb, g.const("flat", np.array([0, d, -1], np.int64))])  # torch flatten(2)
    emb = g.op("Transpose", [emb], perm=[0, 2, 1])
    b = g.dim("pixel_values", 0)
    cls = g.op("Expand", [g.weight("cls_token", (1, 1, d)), g.shape_of([b, [1, d]])])
    x = g.op("Add", [g.op("Concat", [cls, emb], axis=1), g.weight("position_embeddings", (1, tokens, d))])
    s = g.const("tokens", np.array([tokens], np.int64))
    hf = {}
    for l in range(c["layers"]):
        w = rand_layer(rng, d, c["mlp"])
        pre = f"vit.encoder.layer.{l}."
        a = layer_norm(g, x, g.const("ln1g", w["ln1g"]), g.const("ln1b", w["ln1b"]), c["eps"], 17)
        q = split_heads(g, linear(g, a, w["q"], w["qb"], f"L{l}.query"), h, hd, b, s, [0, 2, 1, 3])
        k = split_heads(g, linear(g, a, w["k"], w["kb"], f"L{l}.key"), h, hd, b, s, [0, 2, 1, 3])
        v = split_heads(g, linear(g, a, w["v"], w["vb"], f"L{l}.value"), h, hd, b, s, [0, 2, 1, 3])
        kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
        scores = g.op("Div", [g.op("MatMul", [q, kt], name=f"L{l}.scores"),
                              g.const("scale", np.array(math.sqrt(hd), np.float32))])
        probs = g.op("Softmax", [scores], name=f"L{l}.softmax", axis=-1)
        ctx = merge_heads(g, g.op("MatMul", [probs, v], name=f"L{l}.context"), b, s, d)
        x = g.op("Add", [linear(g, ctx, w["o"], w["ob"], f"L{l}.attn_out"), x])
        m = layer_norm(g, x, g.const("ln2g", w["ln2g"]), g.const("ln2b", w["ln2b"]), c["eps"], 17)
        m = gelu_erf(g, linear(g, m, w["fc1"], w["fc1b"], f"L{l}.intermediate"))
        x = g.op("Add", [linear(g, m, w["fc2"], w["fc2b"], f"L{l}.output"), x])
        att = pre + "attention.attention."
        for part, name in (("q", "query"), ("k", "key"), ("v", "value")):
            hf[att + name + ".weight"], hf[att + name + ".bias"] = w[part], w[part + "b"]
        hf[pre + "attention.output.dense.weight"], hf[pre + "attention.output.dense.bias"] = w["o"], w["ob"]
        hf[pre + "intermediate.dense.weight"], hf[pre + "intermediate.dense.bias"] = w["fc1"], w["fc1b"]
        hf[pre + "output.dense.weight"], hf[pre + "output.dense.bias"] = w["fc2"], w["fc2b"]
        hf[pre + "layernorm_before.weight"], hf[pre + "layernorm_before.bias"] = w["ln1g"], w["ln1b"]
        hf[pre + "layernorm_after.weight"], hf[pre + "layernorm_after.bias"] = w["ln2g"], w["ln2b"]
    x = layer_norm(g, x, g.weight("ln_g", (d,)), g.weight("ln_b", (d,)), c["eps"], 17)
    cls_out = g.op("Gather", [x, g.const("first", np.array(0, np.int64))], axis=1)
    logits = g.op("Gemm", [cls_out, g.weight("classifier.weight", (c["classes"], d)),
                           g.weight("classifier.bias", (c["classes"],))], name="classifier", transB=1)
    model = g.model([helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT,
                                                   ["batch", c["channels"], c["image"], c["image"]])],
                    [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", c["classes"]])], 17)
    onnx.save(model, os.path.join(out, "vit.onnx"))
    write_safetensors(os.path.join(out, "vit.safetensors"), hf)
    write_text(os.path.join(out, "vit.config.json"), json.dumps(
        {"model_type": "vit", "hidden_size": d, "num_attention_heads": h, "num_hidden_layers": c["layers"],
         "intermediate_size": c["mlp"], "image_size": c["image"], "patch_size": p,
         "num_channels": c["channels"], "layer_norm_eps": c["eps"]}))
    write_text(os.path.join(out, "vit.model.ini"),
               f"[model]\nname = vit\nfamily = vision\nbase = vit-base-16\nlayers = {c['layers']}\nd_model = {d}\n"
               f"heads = {h}\nmlp = {c['mlp']}\nseq = {tokens}\npatch = {p}\nchannels = {c['channels']}\n"
               f"extra_tokens = 1\nclasses = {c['classes']}\n")


# ------------------------------------------------------------------------------------------------ GRU

GRU = dict(layers=2, input=16, hidden=32, seq=8)


def gru(out, rng):
    c = GRU
    H = c["hidden"]
    g = Graph("gru", rng)
    x = "input"
    for l in range(c["layers"]):
        n_in = c["input"] if l == 0 else H
        w = g.weight(f"W{l}", (1, 3 * H, n_in))
        r = g.weight(f"R{l}", (1, 3 * H, H))
        bias = g.weight(f"B{l}", (1, 6 * H))
        y, _ = g.op("GRU", [x, w, r, bias], name=f"gru{l}", outputs=2, hidden_size=H, linear_before_reset=1)
        x = g.op("Squeeze", [y, g.const("axes", np.array([1], np.int64))])  # drop num_directions
    model = g.model([helper.make_tensor_value_info("input", TensorProto.FLOAT, ["sequence", "batch", c["input"]])],
                    [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["sequence", "batch", H])], 14)
    onnx.save(model, os.path.join(out, "gru.onnx"))
    write_text(os.path.join(out, "gru.model.ini"),
               f"[model]\nname = gru\nfamily = gru\nbase = gru\nlayers = {c['layers']}\n"
               f"gru_input = {c['input']}\ngru_hidden = {H}\nseq = {c['seq']}\n")


# ------------------------------------------------------------------------------------------------ malformed


def malformed(out):
    with open(os.path.join(out, "bert.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "bad_truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 3])
    rng = np.random.default_rng(SEED + 1)
    m = bert(None, rng)
    victim = next(i for i in m.graph.initializer if i.name.startswith("L1.intermediate.weight_T"))
    m.graph.initializer.remove(victim)
    onnx.save(m, os.path.join(out, "bad_missing_initializer.onnx"))
    onnx.save(bert(None, np.random.default_rng(SEED + 1), fc2_rows=200),
              os.path.join(out, "bad_shape_mismatch.onnx"))
    onnx.save(bert(None, np.random.default_rng(SEED + 1), extra_op="Sin"), os.path.join(out, "bad_unknown_op.onnx"))
    # Every weight NaN: no fidelity figure can be better than "not finite".
    m = bert(None, np.random.default_rng(SEED + 1))
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT and len(init.dims) == 2 and init.name.startswith("L"):
            init.CopyFrom(numpy_helper.from_array(np.full(tuple(init.dims), np.nan, np.float32), init.name))
    onnx.save(m, os.path.join(out, "bad_nan_weights.onnx"))
    # A node whose inputs break its operator's signature (an Add with one operand; found by fuzz_onnx, where
    # the import read the missing operand by position and protobuf aborted) and one with no op type at all.
    m = bert(None, np.random.default_rng(SEED + 1))
    add = next(n for n in m.graph.node if n.name == "Add_19")  # token + position + type embeddings
    del add.input[1:]
    onnx.save(m, os.path.join(out, "bad_arity.onnx"))
    m = bert(None, np.random.default_rng(SEED + 1))
    next(n for n in m.graph.node if n.op_type == "Softmax").op_type = ""
    onnx.save(m, os.path.join(out, "bad_no_op_type.onnx"))
    # A heads Reshape whose [heads, head_dim] overflow int64 when multiplied (found by fuzz_onnx: the import's
    # heads check multiplied them, signed overflow under UBSan): it must be refused as not giving the width.
    m = bert(None, np.random.default_rng(SEED + 1))
    inits = {i.name: i for i in m.graph.initializer}
    producers = {o: n for n in m.graph.node for o in n.output}
    for n in m.graph.node:  # the first Reshape to [.., heads, head_dim]: layer 0's query
        c = producers.get(n.input[1]) if n.op_type == "Reshape" else None
        dims = inits.get(c.input[-1]) if c is not None and c.op_type == "Concat" else None
        if dims is not None and list(dims.dims) == [2]:
            dims.CopyFrom(numpy_helper.from_array(np.array([2, 8389750312872706056], np.int64), dims.name))
            break
    onnx.save(m, os.path.join(out, "bad_heads_overflow.onnx"))
    # A foreign-domain node named like a standard one, with fewer inputs than the standard op (found by
    # fuzz_onnx: a one-input "Add" after a MatMul was read as its two-input bias Add and protobuf aborted).
    # It is not the standard Add, so it is an op prunesim cannot map.
    m = bert(None, np.random.default_rng(SEED + 1))
    producers = {o: n for n in m.graph.node for o in n.output}
    add = next(n for n in m.graph.node if n.op_type == "Add" and n.input[0] in producers
               and producers[n.input[0]].op_type == "MatMul")
    add.domain = "com.example"
    del add.input[1:]
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    onnx.save(m, os.path.join(out, "bad_foreign_add.onnx"))
    # A LayerNorm gain whose shape claims far more than its data holds (found by fuzz_onnx: the import sized
    # the gain from the shape before reading it, and the dims multiplied past 2^64), once past 2^64 and once
    # just huge.
    for name, dims in (("bad_dims_overflow.onnx", [1 << 32, (1 << 32) + 1]), ("bad_dims_huge.onnx", [1 << 40])):
        m = bert(None, np.random.default_rng(SEED + 1))
        gain = next(i for i in m.graph.initializer if i.name.startswith("emb_ln_g"))
        del gain.dims[:]
        gain.dims.extend(dims)
        onnx.save(m, os.path.join(out, name))
    # An opset below what the import reads.
    m = onnx.load(os.path.join(out, "gru.onnx"))
    m.opset_import[0].version = 9
    for n in m.graph.node:
        if n.op_type == "Squeeze":  # Squeeze's axes were an attribute before opset 13
            axes = n.input.pop()
            n.attribute.append(helper.make_attribute("axes", [1]))
    onnx.save(m, os.path.join(out, "bad_opset.onnx"))


def opsets(out):
    """bert.onnx declared at opsets 15 and 16: the same ops, read the same."""
    for version in (15, 16):
        m = onnx.load(os.path.join(out, "bert.onnx"))
        m.opset_import[0].version = version
        onnx.checker.check_model(m)
        onnx.save(m, os.path.join(out, f"bert_opset{version}.onnx"))


def external(out):
    """vit.onnx with its weights in a separate file, as exporters write models over 2 GB."""
    m = onnx.load(os.path.join(out, "vit.onnx"))
    onnx.save(m, os.path.join(out, "vit_external.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="vit_external.data", size_threshold=1024)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for build, offset in ((bert, 0), (gpt2, 1), (vit, 2), (gru, 3)):
        build(out, np.random.default_rng(SEED + 10 * offset))
    # GPT2LMHeadModel as exported whole: logits at every position.
    gpt2(out, np.random.default_rng(SEED + 10), last_only=False, name="gpt2_all_logits")
    malformed(out)
    opsets(out)
    external(out)


if __name__ == "__main__":
    main()
