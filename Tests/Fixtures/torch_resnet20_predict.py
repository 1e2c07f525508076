#!/usr/bin/env python3
"""Loads a Millrace checkpoint of pipelines/cifar-resnet.json (ResNet-20) into the equivalent
PyTorch model with load_state_dict(strict=True) and prints, for each image, the index of the most
probable class and its probability, as JSON: [[index, probability], ...]. Preprocessing as the
pipeline's: pixels / 255, then (x - mean) / std per channel with the pipeline's values.

usage: <python with torch, safetensors, Pillow> torch_resnet20_predict.py MODEL.safetensors IMAGE...
(scripts/torch_cifar_resnet.py imports its `resnet20`.)
"""
import json
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.numpy import load_file
from torch import nn


class BasicBlock(nn.Module):
    """He et al. 2016: conv3x3-BN-ReLU-conv3x3-BN plus the input or a 1x1 strided projection, then ReLU."""

    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(),
            nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False), nn.BatchNorm2d(outputs))
        projects = stride != 1 or inputs != outputs
        self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)) if projects else nn.Sequential()

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet20(classes):
    layers, width = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for outputs, stride in ((16, 1), (32, 2), (64, 2)):
        for block in range(3):
            layers.append(BasicBlock(width, outputs, stride if block == 0 else 1))
            width = outputs
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


def main():
    tensors = load_file(sys.argv[1])
    classes = tensors["14.bias"].shape[0]
    model = resnet20(classes)
    state = {name: torch.from_numpy(value.copy()) for name, value in tensors.items()}
    for name, value in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            state[name] = state[name].to(value.dtype).reshape(value.shape)
    model.load_state_dict(state, strict=True)
    model.eval()
    mean = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(3, 1, 1)
    std = np.array([0.247, 0.2435, 0.2616], dtype=np.float32).reshape(3, 1, 1)
    images = [(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255 - mean) / std for path in sys.argv[2:]]
    with torch.no_grad():
        probabilities = torch.softmax(model(torch.from_numpy(np.stack(images))), dim=1)
    best = probabilities.max(dim=1)
    print(json.dumps([[int(i), float(p)] for p, i in zip(best.values, best.indices)]))


if __name__ == "__main__":
    main()
