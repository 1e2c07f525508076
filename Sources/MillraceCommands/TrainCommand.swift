import ArgumentParser
import Dispatch
import Foundation
import Millrace
import Synchronization
import SystemIO
import Training

/// `millrace train <pipeline-file>`: trains as the file says, with command-line overrides.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model as a pipeline file describes.",
        discussion: """
            Examples:
              millrace train pipelines/digits-mlp.json
              millrace train pipelines/digits-mlp.json --data ~/mnist/train --validation ~/mnist/test --epochs 5
              millrace train pipelines/digits-cnn.json --resume

            Ctrl-C, SIGTERM, SIGHUP and SIGUSR1 save a checkpoint of the last step taken and stop (exit status \
            128 + signal: 130, 143, 129, 138), also while waiting for data; --resume continues exactly where it \
            stopped (with no checkpoint yet it starts from the beginning). A folder that holds an earlier run's \
            checkpoints needs --resume, another --run-dir, or --restart (moves them aside); a folder in use by \
            another train is refused (its pid is named).

            Relative paths inside the pipeline file are relative to its folder; paths on the command line to the \
            current folder; the run directory defaults to runs/<name> under the current folder. Progress and notes \
            go to standard error; standard output holds only the --json object. Each run ends (also on Ctrl-C) by \
            writing report.html into the run directory (see millrace report).

            Under `mpirun -np N` it trains data-parallel: batch_size is the global batch, rank 0 prints and \
            writes, and the weights are bit-identical for any N and for a plain run (every run sums the \
            gradients of fixed chunks of the batch in one fixed tree order). Ctrl-C on mpirun \
            saves a checkpoint too, but Open MPI 4 then exits 1; `kill -USR1 <mpirun pid>` stops the same \
            way and mpirun exits 130, and scripts/mpirun.sh (mpirun's arguments) turns Ctrl-C into that.
            """
    )

    @Argument(help: "A pipeline file (JSON), such as pipelines/digits-mlp.json.")
    var pipeline: String

    @Option(help: "Train on this image (PNG/JPEG) class folder, CSV file, packed directory or manifest URL instead.")
    var data: String?

    @Option(help: "Where packed data is staged (default: <run dir>/cache; rank r of a data-parallel run uses <dir>/rank-r).")
    var cacheDir: String?

    @Option(parsing: .unconditional, help: "The staging cache's disk budget (bytes, or 500MB, 2GB).")
    var cacheBudget: String?

    @Option(parsing: .unconditional, help: "The memory the run may use (bytes, or 512MB, 8GB; default: the cgroup limit, else MemAvailable).")
    var memoryLimit: String?

    @Option(
        help: """
            Seconds an HTTP transfer of packed data may receive nothing before it is retried (default 30). A transfer may also \
            last at most twice this plus 1 s per 64 KiB received (a minimum rate of 64 KiB/s), so a trickling server is cut \
            off too. Each file is tried 5 times (0.75 s of backoff in all); once a shard fails every try, no other shard of \
            that server is tried, so a dead or stalled server ends the run within about 5 x this.
            """)
    var stallTimeout: StallTimeout?

    @Option(help: "Validate on this folder or file instead of a split.")
    var validation: String?

    // Numbers parse unconditionally, so `--batch-size -1` reaches its range check instead of reading as an option.
    @Option(parsing: .unconditional, help: "Epochs.", transform: IntegerOption.atLeast(1)) var epochs: Int?
    @Option(parsing: .unconditional, help: "Samples per batch (0: the whole set).", transform: IntegerOption.atLeast(0)) var batchSize: Int?
    @Option(parsing: .unconditional, help: "Learning rate.") var learningRate: Float?
    @Option(parsing: .unconditional, help: "Seed.", transform: IntegerOption.whole) var seed: UInt64?
    @Option(parsing: .unconditional, help: "Decode and compute threads.", transform: IntegerOption.atLeast(1)) var threads: Int?
    @Option(help: "Checkpoint directory.") var checkpointDir: String?
    @Option(parsing: .unconditional, help: "Save a checkpoint every this many steps.", transform: IntegerOption.atLeast(1))
    var checkpointEvery: Int?
    @Option(help: "Where metrics.jsonl, the configuration and TensorBoard events go.") var runDir: String?
    @Flag(help: "Continue from the newest good checkpoint.") var resume = false
    @Flag(help: "Move an earlier run's checkpoints aside (to <checkpoint dir>.old-<time>, never deleted) and train from the beginning.")
    var restart = false
    @Flag(help: "After training, print one JSON object with the results (the only output on standard output).") var json = false
    @Flag(help: "Print nothing but errors (and the JSON with --json).") var quiet = false
    @Flag(help: "Print a line for every logged step.") var verbose = false
    @Option(
        parsing: .unconditional,
        help: "Samples per gradient chunk (default 8, or batch/64 above 512; kept on resume; runs match bit for bit only with the same chunk).",
        transform: IntegerOption.atLeast(1))
    var gradientChunk: Int?
    @Option(help: "How ranks sum gradients: ordered (bit-identical for any rank count) or allreduce (MPI_Allreduce).")
    var gradientExchange = "ordered"
    @Flag(inversion: .prefixedNo, help: "Start each layer's gradient exchange while the backward pass goes on (data-parallel runs).")
    var overlapExchange = true

    func validate() throws {
        if resume && restart { throw ValidationError("--resume and --restart: give one of them (continue the run, or start it over)") }
        if !["ordered", "allreduce"].contains(gradientExchange) {
            throw ValidationError("--gradient-exchange: '\(gradientExchange)' is not one of ordered, allreduce")
        }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw ValidationError("--learning-rate: \(learningRate) is not allowed; use a positive finite number such as 0.01")
        }
        _ = try cacheBudgetBytes()
        _ = try ByteCount.option("--memory-limit", memoryLimit)
        for (name, value) in [("--data", data), ("--validation", validation)] {
            guard let value else { continue }
            let isURL = DataKind.isURL(value) && URL(string: value)?.host != nil
            if !isURL, let link = PathProblem.brokenLink(value) { throw ValidationError("\(name): '\(value)' is \(link); check the path") }
            if !isURL && !FileManager.default.fileExists(atPath: value) {
                throw ValidationError("\(name): '\(value)' is neither an existing file or folder nor an http(s) URL; check the path")
            }
        }
    }

    /// `--cache-budget` in bytes.
    private func cacheBudgetBytes() throws -> Int? {
        guard let cacheBudget else { return nil }
        switch ByteCount.bytes(in: cacheBudget) {
        case .success(let bytes): return bytes
        case .failure(let error): throw ValidationError("--cache-budget: \(error); use bytes or a size such as 500MB")
        }
    }

    func run() throws {
        // Launched by mpirun: join the job (libmpi is loaded only then).
        guard let launched = MPICommunicator.launchedRanks() else { return try train(communicator: SingleProcess()) }
        let communicator = try MPICommunicator()
        do {
            try train(communicator: communicator)
        } catch let exit as ExitCode {
            communicator.finish()
            throw exit
        } catch {
            // The caller prints the error with this prefix; the non-zero exit makes mpirun end the other ranks.
            MillraceCommand.errorPrefix = "rank \(launched.rank) of \(launched.count): "
            throw error
        }
        communicator.finish()
    }

    private func train(communicator: any Communicator) throws {
        // First: a signal while the data opens ends the process at once (nothing to save yet).
        let underLauncher = communicator is MPICommunicator
        let stop = StopSignals.install(quiet: quiet || communicator.rank != 0)
        let configuration = try RunConfiguration.load(path: pipeline)
        var overrides = TrainingOverrides()
        // Absolute, so that the configuration saved in the run directory (which the report reads)
        // still names the data from any other folder.
        overrides.data = data.map(TrainCommand.absolute)
        overrides.validation = validation.map(TrainCommand.absolute)
        overrides.epochs = epochs
        overrides.batchSize = batchSize
        overrides.learningRate = learningRate
        overrides.seed = seed
        overrides.threads = threads
        overrides.checkpointDirectory = checkpointDir
        overrides.checkpointEvery = checkpointEvery
        overrides.runDirectory = runDir
        overrides.resume = resume
        overrides.restart = restart
        overrides.cacheDirectory = cacheDir
        overrides.cacheBudget = try cacheBudgetBytes()
        overrides.memoryLimit = try ByteCount.option("--memory-limit", memoryLimit)
        overrides.stallTimeout = stallTimeout?.seconds
        overrides.gradientChunk = gradientChunk
        overrides.allReduce = gradientExchange == "allreduce"
        overrides.overlapExchange = overlapExchange
        overrides.quiet = quiet
        let isFirstRank = communicator.rank == 0
        let reporter = ProgressReporter(
            isTerminal: ProgressReporter.standardErrorIsTerminal,
            verbosity: quiet || !isFirstRank ? .quiet : (verbose ? .verbose : .normal))
        // mpirun turns Ctrl-C into SIGTERM for the ranks, and forwards SIGUSR1 as it is: all stop after a checkpoint.
        var fit = Fit(
            configuration: configuration, overrides: overrides, path: pipeline, communicator: communicator, stop: stop, reporter: reporter)
        fit.announcesResult = !json
        let result = try fit.run()
        let summary = result.summary
        if json && isFirstRank {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            var object = try JSONSerialization.jsonObject(with: try encoder.encode(summary)) as? [String: Any] ?? [:]
            object["final_loss"] = summary.finalLoss ?? NSNull()  // null when no step was taken, never a made-up 0
            object["report"] = result.report ?? NSNull()
            object["stop_reason"] = summary.stopReason ?? NSNull()
            object["estimated_peak_bytes"] = result.memoryEstimate.totalBytes
            try JSONOutput.print(object)
            if let report = result.report { reporter.line("report: \(report)") }
        }
        if summary.interrupted { throw ExitCode(StopSignals.exitStatus(of: stop, underLauncher: underLauncher)) }
    }
}

extension TrainCommand {
    /// A local path made absolute against the current folder; URLs stay as they are.
    static func absolute(_ path: String) -> String {
        if DataKind.isURL(path) { return path }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
