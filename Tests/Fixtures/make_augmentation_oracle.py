"""torchvision's and Pillow's outputs for the image augmentations and the antialiased resize
(run from the repository root with PyTorch 2.13.0+cpu, torchvision 0.28.0 and Pillow 13.0.0:
/tmp/lvenv/bin/python Tests/Fixtures/make_augmentation_oracle.py).

Writes Tests/Fixtures/augmentation-oracle.json with, for a small generated image:
- "image": a 3 x 7 x 9 float image (CHW, values k/255) and "gray": a 1 x 5 x 6 one;
- "resized_crop": torchvision.transforms.v2.functional.resized_crop(image, top, left, height,
  width, [7, 9], BILINEAR, antialias=True) (what RandomResizedCrop does on tensors) for fixed
  boxes, and the largest difference from the same with antialias=False (the crop is never larger
  than the output, so antialiasing changes nothing but rounding);
- "jitter": adjust_brightness / adjust_contrast / adjust_saturation with fixed factors, alone
  and chained in fixed orders, on the RGB and the gray image, and chained then normalised
  (ColorJitter before Normalize, as recipes order them);
- "rotation": rotate(image, angle, NEAREST, fill=0) (RandomRotation's defaults) for fixed angles;
- "pillow_resize": Image.resize((width, height), Image.BILINEAR) (antialiased: a triangle
  filter whose support widens by the downscale factor) of generated 8-bit L, RGB and RGBA images
  (Pillow resizes RGBA with premultiplied alpha), input and output bytes.
"""
import json

import numpy as np
import torch
import torch.library

# The torchvision wheel here does not load its C extension with this torch; only the
# pure-PyTorch functional ops below are used, so its operator registrations are skipped.
torch.library.register_fake = lambda *args, **kwargs: (lambda function: function)
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision.transforms.v2 import InterpolationMode  # noqa: E402
from torchvision.transforms.v2 import functional as F  # noqa: E402


def generated(channels, height, width):
    c, y, x = np.meshgrid(np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    return ((c * 37 + y * 11 + x * 23 + y * x * 5 + (y * y * 3) % 7) % 256).astype(np.uint8)


def flat(tensor):
    return [float(v) for v in tensor.reshape(-1).tolist()]


image_bytes = generated(3, 7, 9)
image = torch.from_numpy(image_bytes).float() / 255
gray = torch.from_numpy(generated(1, 5, 6).astype(np.int64) * 2 % 251).float() / 255

resized_crop = []
for top, left, height, width in [(0, 0, 7, 9), (1, 2, 3, 4), (2, 1, 5, 7), (0, 3, 7, 4), (6, 8, 1, 1), (2, 2, 4, 6), (1, 0, 6, 9), (3, 5, 2, 3)]:
    smooth = F.resized_crop(image, top, left, height, width, [7, 9], InterpolationMode.BILINEAR, antialias=True)
    plain = F.resized_crop(image, top, left, height, width, [7, 9], InterpolationMode.BILINEAR, antialias=False)
    resized_crop.append({
        "box": [top, left, height, width], "output": flat(smooth),
        "antialias_difference": float((smooth - plain).abs().max()),
    })

adjust = {"brightness": F.adjust_brightness, "contrast": F.adjust_contrast, "saturation": F.adjust_saturation}
jitter = []
chains = [
    [("brightness", 0.0)], [("brightness", 0.6)], [("brightness", 1.7)], [("contrast", 0.0)], [("contrast", 0.35)],
    [("contrast", 1.8)], [("saturation", 0.0)], [("saturation", 0.45)], [("saturation", 1.9)],
    [("saturation", 1.4), ("brightness", 0.8), ("contrast", 1.25)],
    [("contrast", 0.7), ("saturation", 0.2), ("brightness", 1.3)],
]
for name, source in [("rgb", image), ("gray", gray)]:
    for chain in chains:
        output = source
        for adjustment, factor in chain:
            output = adjust[adjustment](output, factor)
        jitter.append({"image": name, "chain": [[a, f] for a, f in chain], "output": flat(output)})
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
normalized_jitter = []
for chain in chains[-2:]:
    output = image
    for adjustment, factor in chain:
        output = adjust[adjustment](output, factor)
    normalized_jitter.append({"chain": [[a, f] for a, f in chain], "output": flat(F.normalize(output, mean, std))})

rotation = []
for angle in [0.0, 10.0, -7.5, 33.3, 90.0, -135.0, 179.9, -2.0]:
    rotated = F.rotate(image, angle, InterpolationMode.NEAREST, expand=False, fill=0)
    rotation.append({"angle": angle, "output": flat(rotated)})
normalized_rotation = {
    "angle": 33.3, "output": flat(F.normalize(F.rotate(image, 33.3, InterpolationMode.NEAREST, fill=0), mean, std))
}

pillow_resize = []
rgba = np.transpose(generated(4, 9, 10).astype(np.int64) * 5 % 256, (1, 2, 0)).astype(np.uint8)
rgba[..., 3] = np.where(rgba[..., 3] < 60, 0, rgba[..., 3])  # some transparent pixels
rgba[0, :, 3] = 255
sources = {
    "L": generated(1, 11, 13)[0], "RGB": np.transpose(generated(3, 13, 11).astype(np.int64) * 7 % 256, (1, 2, 0)).astype(np.uint8),
    "RGBA": rgba,
}
for mode, pixels in sources.items():
    picture = Image.fromarray(pixels, mode)
    for width, height in [(5, 4), (7, 6), (20, 17), (4, 19), (1, 1), (6, 13), (picture.width, picture.height), (3, 2)]:
        resized = picture.resize((width, height), Image.BILINEAR)
        pillow_resize.append({
            "mode": mode, "source_size": [picture.width, picture.height], "source": list(picture.tobytes()),
            "size": [width, height], "output": list(resized.tobytes()),
        })

oracle = {
    "origin": f"torch {torch.__version__}, torchvision {torchvision.__version__}, Pillow {Image.__version__}",
    "image_shape": list(image.shape), "image": flat(image), "gray_shape": list(gray.shape), "gray": flat(gray),
    "resized_crop": resized_crop, "jitter": jitter,
    "normalize": {"mean": mean, "std": std}, "normalized_jitter": normalized_jitter,
    "rotation": rotation, "normalized_rotation": normalized_rotation, "pillow_resize": pillow_resize,
}
with open("Tests/Fixtures/augmentation-oracle.json", "w") as file:
    json.dump(oracle, file, separators=(",", ":"))
    file.write("\n")
print("max antialias difference", max(case["antialias_difference"] for case in resized_crop))
