#!/usr/bin/env python3
"""Counts the lines of code of the OwnMillrace example and its PyTorch Lightning and Keras
equivalents (Examples/Comparisons) the same way: non-blank, non-comment lines as the formatter
leaves them (`swift format`, `black -l 100`), without the layer norm's own math (Swift: the file
LayerNorm.swift; Python: the class LayerNorm), imports and command-line handling included.

usage: scripts/count-example-lines.py        (from the repository root)
"""
import pathlib
import subprocess


def count(lines, skip_class=None):
    counted, inside = 0, False
    for line in lines:
        stripped = line.strip()
        if skip_class and line.startswith(f"class {skip_class}"):
            inside = True
        elif inside and line and not line[0].isspace():
            inside = False
        if inside or not stripped or stripped.startswith(("#", "//")):
            continue
        counted += 1
    return counted


root = pathlib.Path(__file__).resolve().parent.parent
swift = 0
for path in sorted((root / "Examples/OwnMillrace").glob("*.swift")):
    if path.name == "LayerNorm.swift":
        continue
    formatted = subprocess.run(["swift", "format", str(path)], capture_output=True, text=True, check=True).stdout
    swift += count(formatted.splitlines())
print(f"Millrace (Examples/OwnMillrace, without LayerNorm.swift): {swift}")
for name in ["own_digits_lightning.py", "own_digits_keras.py"]:
    path = root / "Examples/Comparisons" / name
    print(f"{name} (without class LayerNorm): {count(path.read_text().splitlines(), 'LayerNorm')}")
