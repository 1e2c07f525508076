#!/usr/bin/env python3
"""Reference numbers for the training recipes, computed in float64 with NumPy from the
algorithms PyTorch documents (torch 2.x docs):

- torch.optim.AdamW: per step t (1-based), with lr, betas (b1, b2), eps, weight_decay wd:
      p = p - lr * wd * p                       (skipped for the no-decay group)
      m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
      p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  Two parameter groups: "weight" decays, "bias" has weight_decay 0.
- torch.nn.CrossEntropyLoss(label_smoothing=e), reduction "mean", C classes:
      loss = mean over rows of (1 - e) * -log p[label] + e * mean over classes of -log p
      d loss / d logits = (softmax - ((1 - e) onehot + e / C)) / N
- Learning rates (0-based step s, the rate the optimizer uses in update s + 1):
  warm-up of W steps then a schedule, as
      SequentialLR([LinearLR(start_factor=1/W, end_factor=1, total_iters=W-1), main], milestones=[W]):
      LinearLR: lr * (start + (1 - start) * min(s, W-1) / (W-1))
      CosineAnnealingLR(T_max=T-W, eta_min) at s - W: eta_min + (lr - eta_min) (1 + cos(pi (s-W) / (T-W))) / 2
      StepLR(step_size, gamma) at s - W: lr * gamma^floor((s-W) / step_size)
  OneCycleLR(max_lr, total_steps=T, pct_start, div_factor, final_div_factor,
             anneal_strategy="cos", three_phase=False), as its get_lr():
      initial = max_lr / div_factor; final = initial / final_div_factor
      phases end at pct_start * T - 1 (initial -> max_lr) and T - 1 (max_lr -> final)
      cos anneal: end + (start - end) / 2 * (cos(pi * pct) + 1)
- torch.nn.utils.clip_grad_norm_(params, max_norm): total = ||(||g_1||, ..., ||g_k||)||,
  coefficient = min(1, max_norm / (total + 1e-6)), every g multiplied by it.

Usage: make_recipes_oracle.py > recipes-oracle.json
"""
import json
import math

import numpy as np


def adamw():
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    params = {"weight": np.array([1.0, -2.0, 0.5, 3.0]), "bias": np.array([0.25, -0.75])}
    grads = [
        {"weight": np.array([0.3, -0.1, 2.0, 0.0]), "bias": np.array([0.5, -1.0])},
        {"weight": np.array([-0.2, 0.4, 1.0, 0.01]), "bias": np.array([0.1, 0.2])},
        {"weight": np.array([0.05, 0.0, -3.0, 0.2]), "bias": np.array([-0.3, 0.0])},
    ]
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    decays = {"weight": wd, "bias": 0.0}
    after = []
    for t, g in enumerate(grads, start=1):
        for k in params:
            p = params[k] * (1 - lr * decays[k])
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
            denom = np.sqrt(v[k]) / math.sqrt(1 - b2**t) + eps
            params[k] = p - lr / (1 - b1**t) * m[k] / denom
        after.append({k: params[k].tolist() for k in params})
    return {
        "learning_rate": lr, "weight_decay": wd,
        "initial": {"weight": [1.0, -2.0, 0.5, 3.0], "bias": [0.25, -0.75]},
        "gradients": [{k: g[k].tolist() for k in g} for g in grads],
        "after": after,
    }


def label_smoothing():
    logits = np.array([[1.0, 2.0, 0.5, -1.0], [0.0, -0.5, 3.0, 0.25], [2.0, 2.0, 2.0, 2.0]])
    labels = np.array([1, 3, 0])
    e = 0.1
    n, c = logits.shape
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    nll = -log_p[np.arange(n), labels]
    smooth = -log_p.mean(axis=1)
    loss = ((1 - e) * nll + e * smooth).mean()
    target = (1 - e) * np.eye(c)[labels] + e / c
    gradient = (np.exp(log_p) - target) / n
    return {"logits": logits.tolist(), "labels": labels.tolist(), "label_smoothing": e,
            "loss": float(loss), "gradient": gradient.tolist()}


def warmup_rates(lr, warmup, total, main):
    rates = []
    for s in range(total):
        if s < warmup:
            start = 1 / warmup
            factor = start + (1 - start) * min(s, warmup - 1) / (warmup - 1) if warmup > 1 else 1.0
            rates.append(lr * factor)
        else:
            rates.append(main(s - warmup))
    return rates


def one_cycle(max_lr, total, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    initial = max_lr / div_factor
    final = initial / final_div_factor
    phases = [(float(pct_start * total) - 1, initial, max_lr), (float(total - 1), max_lr, final)]
    rates = []
    for step in range(total):
        start_step = 0.0
        for i, (end_step, start, end) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                rates.append(end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1))
                break
            start_step = end_step
    return rates


def schedules():
    lr, total, warmup = 0.1, 12, 4
    cosine = warmup_rates(
        lr, warmup, total, lambda s: 0.001 + (lr - 0.001) * (1 + math.cos(math.pi * s / (total - warmup))) / 2)
    step = warmup_rates(lr, warmup, total, lambda s: lr * 0.5 ** (s // 3))
    return {
        "warmup_cosine": {"learning_rate": lr, "total": total, "warmup": warmup, "minimum": 0.001, "rates": cosine},
        "warmup_step": {"learning_rate": lr, "total": total, "warmup": warmup, "factor": 0.5, "every": 3, "rates": step},
        "one_cycle_defaults": {"max_lr": lr, "total": 20, "rates": one_cycle(lr, 20)},
        "one_cycle_custom": {"max_lr": 0.5, "total": 9, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0,
                             "rates": one_cycle(0.5, 9, 0.25, 10.0, 100.0)},
    }


def clipping():
    grads = {"weight": np.array([3.0, -4.0, 1.0, 2.0]), "bias": np.array([0.5, -2.5])}
    cases = []
    for max_norm in (1.0, 10.0):
        total = np.linalg.norm([np.linalg.norm(g) for g in grads.values()])
        coefficient = min(1.0, max_norm / (total + 1e-6))
        cases.append({"max_norm": max_norm, "norm": float(total),
                      "clipped": {k: (g * coefficient).tolist() for k, g in grads.items()}})
    return {"gradients": {k: g.tolist() for k, g in grads.items()}, "cases": cases}


print(json.dumps({
    "adamw": adamw(), "label_smoothing": label_smoothing(), "schedules": schedules(), "clipping": clipping(),
}, indent=1))
