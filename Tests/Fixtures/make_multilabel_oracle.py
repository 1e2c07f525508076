#!/usr/bin/env python3
"""Reference numbers for MultiLabelOracleTests.testStepsMatchPyTorch: PyTorch's
torch.nn.BCEWithLogitsLoss() (reduction "mean") training a small multi-label network with
torch.optim.SGD(lr=0.5), full batch, from weights given by formulas, in float32.

    rows i = 0..11, features j = 0..3:   x[i][j] = ((5 i + 3 j) % 9 - 4) / 4
    labels:  hot = x0 + x1 > 0,  rain = x2 - x3 > 0.25,  windy = x0 - x2 + 0.5 x3 > 0
    model:   Linear(4, 5) -> Tanh -> Linear(5, 3)
             W1[o][i] = ((7 o + 3 i) % 11 - 5) / 10,  b1[o] = ((3 o) % 5 - 2) / 10
             W2[o][i] = ((5 o + 2 i) % 7 - 3) / 5,    b2 = [0.1, -0.1, 0]

Prints the labels, the loss before each of 8 steps, the final weights' sum of squares and the final output bias.
Usage: .venv/bin/python Tests/Fixtures/make_multilabel_oracle.py (torch 2.13.0+cpu gave the
numbers in the test).
"""
import torch

x = torch.tensor([[((5 * i + 3 * j) % 9 - 4) / 4 for j in range(4)] for i in range(12)], dtype=torch.float32)
y = torch.stack([x[:, 0] + x[:, 1] > 0, x[:, 2] - x[:, 3] > 0.25, x[:, 0] - x[:, 2] + 0.5 * x[:, 3] > 0], dim=1).float()
first = torch.nn.Linear(4, 5)
second = torch.nn.Linear(5, 3)
with torch.no_grad():
    first.weight.copy_(torch.tensor([[((7 * o + 3 * i) % 11 - 5) / 10 for i in range(4)] for o in range(5)]))
    first.bias.copy_(torch.tensor([((3 * o) % 5 - 2) / 10 for o in range(5)]))
    second.weight.copy_(torch.tensor([[((5 * o + 2 * i) % 7 - 3) / 5 for i in range(5)] for o in range(3)]))
    second.bias.copy_(torch.tensor([0.1, -0.1, 0.0]))
model = torch.nn.Sequential(first, torch.nn.Tanh(), second)
loss_function = torch.nn.BCEWithLogitsLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
print("labels", y.int().tolist())
losses = []
for _ in range(8):
    optimizer.zero_grad()
    loss = loss_function(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print("losses", ", ".join(repr(v) for v in losses))
print("sum of squares", sum(float((p.detach().double() ** 2).sum()) for p in model.parameters()))
print("final output bias", second.bias.detach().tolist())
