// One call trains a model described in code on a PNG class folder, with validation, checkpoints,
// metrics.jsonl, TensorBoard events, early stopping and the HTML report; run it again after
// Ctrl-C (or a crash) and it continues from the newest checkpoint, bit for bit.
//
//     swift run FitDigits ../datasets/digits /tmp/fit-digits
import Foundation
import Millrace

let arguments = CommandLine.arguments
let data = arguments.count > 1 ? arguments[1] : "../datasets/digits"
let runDirectory = arguments.count > 2 ? arguments[2] : "runs/fit-digits"

let stop = StopRequest.onStoppingSignals()  // Ctrl-C, SIGTERM: save a checkpoint, then stop
let fit = Fit(
    model: [.conv2d(filters: 8, padding: 1), .relu, .maxPool(), .dense(units: 32), .relu, .dense()],
    data: .images(data, channels: .gray, validationSplit: 0.2),
    optimizer: .adam(learningRate: 0.003), epochs: 5, seed: 1, runDirectory: runDirectory,
    earlyStopping: RunConfiguration.EarlyStopping { $0.patience = 2 },
    stop: stop)
do {
    let result = try fit.run()
    print("best validation accuracy", result.summary.bestValidationAccuracy ?? 0, "checkpoints in", result.checkpointDirectory)
    if result.summary.interrupted { exit(128 + (stop.reason ?? SIGINT)) }  // as a shell expects of a stopped program
} catch {
    print("error: \(error)")
    exit(1)
}
