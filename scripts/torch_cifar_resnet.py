#!/usr/bin/env python3
"""PyTorch's run of pipelines/cifar-resnet.json, for the end-to-end comparison in the README: the
same ResNet-20 (He et al. 2016, imported from Tests/Fixtures/torch_resnet20_predict.py), the same
recipe (SGD, learning rate 0.1, momentum 0.9, weight decay 5e-4 on every parameter, a cosine decay
to 0 stepped every batch over the whole run, batch 128, shuffled), the same preprocessing (pixels
/ 255, then normalised per channel; a random crop of the normalised image padded with 4 zeros, as
Millrace pads after normalising, and a horizontal flip with probability 0.5), a DataLoader with 2
worker processes, and the test set evaluated after every epoch as Millrace validates. Only torch,
numpy and Pillow (no torchvision). Prints one line per epoch and a JSON summary.

usage: <python with torch 2.13 CPU> scripts/torch_cifar_resnet.py TRAIN_DIR TEST_DIR [EPOCHS] [THREADS]
"""
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

# The model, as the checkpoint interoperability test defines it (one definition of ResNet-20 in Python).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "Tests" / "Fixtures"))
from torch_resnet20_predict import resnet20  # noqa: E402

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(3, 1, 1)
STD = np.array([0.247, 0.2435, 0.2616], dtype=np.float32).reshape(3, 1, 1)


class Folder(torch.utils.data.Dataset):
    """PNG class folders (classes sorted by name), decoded on access, normalised, augmented when training."""

    def __init__(self, root, train):
        self.classes = sorted(p.name for p in pathlib.Path(root).iterdir() if p.is_dir())
        self.items = [(path, label) for label, name in enumerate(self.classes) for path in sorted((pathlib.Path(root) / name).glob("*.png"))]
        self.train = train

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        path, label = self.items[index]
        image = (np.asarray(Image.open(path).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255 - MEAN) / STD
        if self.train:
            padded = np.pad(image, ((0, 0), (4, 4), (4, 4)))
            y, x = np.random.randint(0, 9, size=2)
            image = padded[:, y : y + 32, x : x + 32]
            if np.random.rand() < 0.5:
                image = image[:, :, ::-1]
        return torch.from_numpy(np.ascontiguousarray(image)), label


def main():
    train_dir, test_dir = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    torch.manual_seed(1)
    np.random.seed(1)
    train, test = Folder(train_dir, True), Folder(test_dir, False)
    loader = torch.utils.data.DataLoader(train, batch_size=128, shuffle=True, num_workers=2, persistent_workers=True)
    test_loader = torch.utils.data.DataLoader(test, batch_size=256, num_workers=2, persistent_workers=True)
    model = resnet20(len(train.classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    total = epochs * len(loader)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: (1 + math.cos(math.pi * min(step, total) / total)) / 2)
    loss_function = nn.CrossEntropyLoss()
    start = time.time()
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        began = time.time()
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_function(model(images), labels)
            loss.backward()
            optimizer.step()
            schedule.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                correct += (model(images).argmax(dim=1) == labels).sum().item()
        accuracy = correct / len(test)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f}, test accuracy {accuracy:.4f} ({time.time() - began:.1f} s)", flush=True)
    print(json.dumps({"epochs": epochs, "seconds": round(time.time() - start, 1), "test_accuracy": accuracy, "samples_per_second": round(epochs * len(train) / (time.time() - start), 1)}))


if __name__ == "__main__":
    main()
