// A package's own `millrace`: the whole command (train, evaluate, predict, report, inspect,
// pack, bench) with one more layer type, `scale`, usable in pipeline files.
import Millrace
import MillraceCommands

MillraceCommand.main {
    LayerRegistry.register("scale", ScaleSpecification.self)
}
