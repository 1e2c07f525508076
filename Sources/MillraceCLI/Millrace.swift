import ArgumentParser

/// The `millrace` command: training, evaluation and benchmarks.
@main
struct Millrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "millrace",
        abstract: "Train neural networks from real data, fast and reproducibly.",
        subcommands: [XORSeedCommand.self, BenchCommand.self, CheckpointSoakCommand.self]
    )
}
