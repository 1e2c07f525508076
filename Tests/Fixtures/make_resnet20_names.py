#!/usr/bin/env python3
"""Writes resnet20-torch-state-dict.txt: the names and shapes of the tensors in the state_dict of
../shared/bench/torch_train_step.py's resnet20 (PyTorch 2.13 CPU), one "name [shape]" a line, in
state_dict order (num_batches_tracked included: load_state_dict(strict=True) needs it). ResNetPipelineTests checks
that pipelines/cifar-resnet.json's model names and shapes its tensors the same way.

usage: <python with torch> Tests/Fixtures/make_resnet20_names.py ../shared/bench/torch_train_step.py
"""
import pathlib
import sys

source = pathlib.Path(sys.argv[1]).read_text()
sys.argv = ["torch_train_step.py", "resnet20", "1"]
scope = {}
exec(compile(source[: source.index("y = torch.randint")], "torch_train_step.py", "exec"), scope)
lines = [f"{name} {list(tensor.shape)}" for name, tensor in scope["model"].state_dict().items()]
(pathlib.Path(__file__).parent / "resnet20-torch-state-dict.txt").write_text("\n".join(lines) + "\n")
