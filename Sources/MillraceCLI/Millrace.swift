import ArgumentParser
import Tensors

/// The `millrace` command: training, evaluation and benchmarks.
@main
struct Millrace: ParsableCommand {
    static func main() {
        MemoryTuning.keepFreedMemory()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "millrace",
        abstract: "Train neural networks from real data, fast and reproducibly.",
        subcommands: [XORSeedCommand.self, BenchCommand.self, CheckpointSoakCommand.self]
    )
}
