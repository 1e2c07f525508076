import ArgumentParser

/// `millrace bench ...`: the benchmarks, run in release builds.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Millrace's speed (build with -c release).",
        discussion: "Example: swift run -c release millrace bench gemm --json",
        subcommands: [
            BenchGemmCommand.self, BenchDecodeCommand.self, BenchCSVCommand.self, BenchPipelineCommand.self, BenchCheckpointCommand.self,
            BenchTrainCommand.self, BenchStagingCommand.self,
        ]
    )
}
