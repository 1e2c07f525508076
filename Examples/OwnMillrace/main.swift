// A package's own `millrace`: the whole command (train, evaluate, predict, report, inspect, pack,
// bench) with two layer types of its own, `layer-norm` and `skip-block`, usable in pipeline files
// (own-digits.json); and `OwnMillrace fit DATA RUN_DIR`, the same digits model built in code,
// which resumes from its newest checkpoint when run again after a crash or Ctrl-C.
import MillraceCommands

LayerRegistry.register("layer-norm", layer: LayerNorm.self) { LayerNorm(features: $0.inputShape.reduce(1, *)) }
LayerRegistry.register("skip-block", SkipBlockSpecification.self)
let arguments = CommandLine.arguments
if arguments.count == 4 && arguments[1] == "fit" {
    let fit = Fit(
        model: [
            .conv2d(filters: 8, padding: 1), .relu, .maxPool(), .dense(units: 32), .layer("layer-norm"),
            .layer("skip-block", SkipBlockSpecification { $0.layers = [.dense(units: 32), .relu] }), .dense(),
        ],
        data: .images(arguments[2], channels: .gray, validationSplit: 0.2), optimizer: .adam(learningRate: 0.003),
        epochs: 12, seed: 1, runDirectory: arguments[3], earlyStopping: RunConfiguration.EarlyStopping { $0.patience = 2 })
    MillraceCommand.main(fitting: fit)
}
MillraceCommand.main()
