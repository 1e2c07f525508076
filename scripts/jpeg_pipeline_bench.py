"""The JPEG side of `millrace bench pipeline`: a JPEG copy of a PNG class folder, and PyTorch's
DataLoader over it for comparison (no torchvision: Pillow opens and converts, NumPy and torch make
the tensor, as torchvision's ImageFolder + ToTensor + Normalize would).

    python scripts/jpeg_pipeline_bench.py convert SRC DST [--quality 90]
        Saves every SRC/<class>/<name>.png as DST/<class>/<name>.jpg with Pillow
        (`Image.open(f).convert("RGB").save(g, quality=90)`: 4:2:0, baseline).
    python scripts/jpeg_pipeline_bench.py torch DST [--workers 2] [--batch-size 64] [--epochs 1]
        Reads DST like `millrace bench pipeline DST --batch-size 64 --threads 2`: shuffled, every
        image decoded to RGB, scaled to [0, 1] and normalised with mean 0.5 and std 0.25 per
        channel, collated into batches of 64; prints one JSON object with images per second.

Needs Pillow and PyTorch (CPU): the project's .venv has both when .ci/setup found the wheel.
"""
import argparse
import json
import os
import sys
import time


def convert(source, destination, quality):
    from PIL import Image

    count = 0
    for folder in sorted(os.listdir(source)):
        if folder.startswith(".") or not os.path.isdir(os.path.join(source, folder)):
            continue
        os.makedirs(os.path.join(destination, folder), exist_ok=True)
        for name in sorted(os.listdir(os.path.join(source, folder))):
            if name.lower().endswith(".png"):
                with Image.open(os.path.join(source, folder, name)) as image:
                    image.convert("RGB").save(os.path.join(destination, folder, name[:-4] + ".jpg"), quality=quality)
                count += 1
    print(json.dumps({"converted": count, "quality": quality, "destination": destination}))


def torch_bench(root, workers, batch_size, epochs):
    import numpy as np
    import torch
    from PIL import Image

    torch.set_num_threads(1)
    classes = sorted(d for d in os.listdir(root) if not d.startswith(".") and os.path.isdir(os.path.join(root, d)))
    samples = [
        (os.path.join(root, c, name), label)
        for label, c in enumerate(classes)
        for name in sorted(os.listdir(os.path.join(root, c)))
        if name.lower().endswith((".png", ".jpg", ".jpeg"))
    ]

    class Folder(torch.utils.data.Dataset):
        def __len__(self):
            return len(samples)

        def __getitem__(self, index):
            path, label = samples[index]
            with Image.open(path) as image:
                pixels = np.array(image.convert("RGB"))  # a writable copy, as torchvision's to_tensor makes
            tensor = torch.from_numpy(pixels).permute(2, 0, 1).float().div_(255)
            return tensor.sub_(0.5).div_(0.25), label

    loader = torch.utils.data.DataLoader(Folder(), batch_size=batch_size, shuffle=True, num_workers=workers)
    start = time.perf_counter()
    images = 0
    checksum = 0.0
    for _ in range(epochs):
        for features, labels in loader:
            images += len(labels)
            checksum += float(features[0, 0, 0, 0])
    seconds = time.perf_counter() - start
    print(json.dumps({
        "benchmark": "torch DataLoader", "folder": root, "images": images, "workers": workers, "batch_size": batch_size,
        "seconds": round(seconds, 3), "images_per_second": round(images / seconds), "torch": torch.__version__,
        "checksum": checksum,
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    converting = commands.add_parser("convert")
    converting.add_argument("source")
    converting.add_argument("destination")
    converting.add_argument("--quality", type=int, default=90)
    loading = commands.add_parser("torch")
    loading.add_argument("folder")
    loading.add_argument("--workers", type=int, default=2)
    loading.add_argument("--batch-size", type=int, default=64)
    loading.add_argument("--epochs", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.command == "convert":
        convert(arguments.source, arguments.destination, arguments.quality)
    else:
        torch_bench(arguments.folder, arguments.workers, arguments.batch_size, arguments.epochs)


if __name__ == "__main__":
    sys.exit(main())
