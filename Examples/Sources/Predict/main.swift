// Predict: load a trained model from a checkpoint and print class probabilities for a file.
//
//     swift run Predict runs/<run>/checkpoints image.png     (or a CSV file: one prediction a row)
//
// The checkpoint may be a run's checkpoints folder (its newest good checkpoint is used) or one
// `step-…` folder. Preprocessing (channels, size, normalisation, feature columns) is saved in the
// checkpoint, so the file is read exactly as the training data was.
import Foundation
import Millrace

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: Predict CHECKPOINT FILE (a PNG image or a CSV file)")
    exit(1)
}

do {
    // 1. The model, its class names and its preprocessing, from the checkpoint's manifest.
    let trained = try TrainedModel.load(arguments[1])

    // 2. The file's samples, prepared as in training: a batch of one image, or every CSV row.
    //    Data of another kind or shape than the model's is refused with an error naming it.
    let (features, origins) = try trained.predictionInputs(arguments[2])

    // 3. Softmax of the model's outputs: one row of probabilities per sample.
    let probabilities = try trained.probabilities(features)
    let classes = probabilities.shape.last ?? 1
    let values = probabilities.scalars

    // 4. Each sample's three most probable classes.
    for (row, origin) in origins.enumerated() {
        let rowValues = values[(row * classes)..<((row + 1) * classes)]
        let ranked = rowValues.enumerated().sorted { $0.element > $1.element }.prefix(3)
        let names = ranked.map { index, probability in
            let name = index < trained.classNames.count ? trained.classNames[index] : "class \(index)"
            return "\(name) \(String(format: "%.3f", probability))"
        }
        print("\(origin): \(names.joined(separator: ", "))")
    }
} catch {
    // Millrace's errors name the file, the position, the reason and the fix.
    print("error: \(error)")
    exit(1)
}
