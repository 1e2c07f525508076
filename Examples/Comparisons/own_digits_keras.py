# The OwnMillrace example in Keras 3 (torch backend): a custom LayerNorm, a residual block, the
# digits model, fit with checkpoints / early stopping / resume, then evaluate and predict.
#   python own_digits_keras.py fit DATA RUN_DIR
#   python own_digits_keras.py evaluate CKPT --data DATA
#   python own_digits_keras.py predict CKPT IMAGE
import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable()
class LayerNorm(layers.Layer):
    """Layer normalisation over each sample's features, with a learnable gain and bias."""

    epsilon = 1e-5

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.bias = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        mean = ops.mean(x, axis=-1, keepdims=True)
        variance = ops.var(x, axis=-1, keepdims=True)
        return (x - mean) / ops.sqrt(variance + self.epsilon) * self.gain + self.bias


def build_model(classes):
    inputs = keras.Input((8, 8, 1))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32)(x)
    x = LayerNorm()(x)
    x = layers.Add()([x, layers.Dense(32, activation="relu")(x)])
    model = keras.Model(inputs, layers.Dense(classes)(x))
    model.compile(
        optimizer=keras.optimizers.Adam(0.003),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def load_images(data, **options):
    return keras.utils.image_dataset_from_directory(
        data, color_mode="grayscale", image_size=(8, 8), batch_size=32, format="grain", **options
    )


def fit(data, run_dir):
    keras.utils.set_random_seed(1)
    os.makedirs(run_dir, exist_ok=True)
    train, validation = load_images(data, validation_split=0.2, subset="both", seed=1)
    model = build_model(len(train.class_names))
    model.fit(
        train,
        validation_data=validation,
        epochs=12,
        callbacks=[
            keras.callbacks.BackupAndRestore(os.path.join(run_dir, "backup")),
            keras.callbacks.ModelCheckpoint(os.path.join(run_dir, "epoch-{epoch:02d}.keras")),
            keras.callbacks.EarlyStopping(patience=2),
            keras.callbacks.CSVLogger(os.path.join(run_dir, "metrics.csv"), append=True),
        ],
    )


def evaluate(checkpoint, data):
    keras.models.load_model(checkpoint).evaluate(load_images(data, shuffle=False))


def predict(checkpoint, image):
    pixels = keras.utils.img_to_array(
        keras.utils.load_img(image, color_mode="grayscale", target_size=(8, 8))
    )
    probabilities = ops.softmax(keras.models.load_model(checkpoint).predict(pixels[None]))[0]
    print(f"class {int(ops.argmax(probabilities))} ({float(ops.max(probabilities)):.3f})")


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
