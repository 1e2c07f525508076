# The OwnMillrace example in PyTorch Lightning: a custom LayerNorm, a residual block, the digits
# model, fit with checkpoints / early stopping / resume, then evaluate and predict from a checkpoint.
#   python own_digits_lightning.py fit DATA RUN_DIR
#   python own_digits_lightning.py evaluate CKPT --data DATA
#   python own_digits_lightning.py predict CKPT IMAGE
import argparse
import os

import lightning as L
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from PIL import Image
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets, transforms


class LayerNorm(nn.Module):
    """Layer normalisation over each sample's features, with a learnable gain and bias."""

    def __init__(self, features, epsilon=1e-5):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.epsilon = epsilon

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        variance = x.var(dim=-1, keepdim=True, unbiased=False)
        return (x - mean) / torch.sqrt(variance + self.epsilon) * self.gain + self.bias


class Residual(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.body(x)


class DigitsModel(L.LightningModule):
    def __init__(self, classes=10, learning_rate=0.003):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 4 * 4, 32),
            LayerNorm(32),
            Residual(nn.Linear(32, 32), nn.ReLU()),
            nn.Linear(32, classes),
        )

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        images, labels = batch
        loss = F.cross_entropy(self(images), labels)
        self.log("train_loss", loss, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        images, labels = batch
        logits = self(images)
        self.log("val_loss", F.cross_entropy(logits, labels), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == labels).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)


transform = transforms.Compose([transforms.Grayscale(), transforms.ToTensor()])


def fit(data, run_dir):
    L.seed_everything(1, workers=True)
    dataset = datasets.ImageFolder(data, transform=transform)
    train, validation = random_split(
        dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(1)
    )
    checkpoints = ModelCheckpoint(
        dirpath=os.path.join(run_dir, "checkpoints"), save_top_k=-1, save_last=True
    )
    trainer = L.Trainer(
        max_epochs=12,
        deterministic=True,
        default_root_dir=run_dir,
        callbacks=[checkpoints, EarlyStopping(monitor="val_loss", patience=2)],
    )
    last = os.path.join(run_dir, "checkpoints", "last.ckpt")
    trainer.fit(
        DigitsModel(classes=len(dataset.classes)),
        DataLoader(train, batch_size=32, shuffle=True),
        DataLoader(validation, batch_size=32),
        ckpt_path=last if os.path.exists(last) else None,
    )


def evaluate(checkpoint, data):
    model = DigitsModel.load_from_checkpoint(checkpoint)
    loader = DataLoader(datasets.ImageFolder(data, transform=transform), batch_size=32)
    L.Trainer(logger=False).validate(model, loader)


def predict(checkpoint, image):
    model = DigitsModel.load_from_checkpoint(checkpoint).eval()
    with torch.no_grad():
        probabilities = model(transform(Image.open(image)).unsqueeze(0)).softmax(1)[0]
    print(f"class {probabilities.argmax().item()} ({probabilities.max().item():.3f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    fit_parser = commands.add_parser("fit")
    fit_parser.add_argument("data")
    fit_parser.add_argument("run_dir")
    evaluate_parser = commands.add_parser("evaluate")
    evaluate_parser.add_argument("checkpoint")
    evaluate_parser.add_argument("--data", required=True)
    predict_parser = commands.add_parser("predict")
    predict_parser.add_argument("checkpoint")
    predict_parser.add_argument("image")
    args = parser.parse_args()
    if args.command == "fit":
        fit(args.data, args.run_dir)
    elif args.command == "evaluate":
        evaluate(args.checkpoint, args.data)
    else:
        predict(args.checkpoint, args.image)
