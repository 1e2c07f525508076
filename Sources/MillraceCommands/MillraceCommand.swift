import ArgumentParser
import Checkpoints
import DataPipeline
import Foundation
import Layers
import Millrace
import SystemIO
import Tensors
import Training

/// The `millrace` command: training, evaluation and benchmarks. The `millrace` executable is
/// `MillraceCommand.main()`; a package's own executable registers its layers, losses and
/// optimizers first and then runs the same command with them:
///
///     import Millrace
///     import MillraceCommands
///
///     MillraceCommand.main {
///         LayerRegistry.register("scale", ScaleSpecification.self)
///     }
public struct MillraceCommand: ParsableCommand {
    /// Runs `register` (the `LayerRegistry`, `LossRegistry` and `OptimizerRegistry` calls that
    /// make a package's own types usable from pipeline files), then the command: `main()`.
    public static func main(registering register: () -> Void) {
        register()
        main()
    }

    /// Parses the process's arguments and runs the subcommand they name, then ends the process.
    /// Exit codes: 0 success, 1 a user error (bad file, bad option: one line naming the file and
    /// the fix), 2 an internal error, 128 + signal when a signal stopped training (after saving a
    /// checkpoint: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP, 138 SIGUSR1).
    public static func main() {
        endProcess {
            var command = try parseAsRoot()
            try command.run()
        }
    }

    /// Runs `fit` as `millrace train` runs a pipeline file, then ends the process: Ctrl-C,
    /// SIGTERM, SIGHUP and SIGUSR1 save a checkpoint of the last step and stop (unless `fit.stop`
    /// is set already), and the exit codes and error lines are the command's (0; 1 and one
    /// `error:` line for a user error; 128 + the signal after a stop). For a program that trains
    /// a model built in code and also offers the command:
    ///
    ///     if CommandLine.arguments.dropFirst().first == "fit" {
    ///         MillraceCommand.main(fitting: Fit(model: [...], data: .images(...), runDirectory: "runs/own"))
    ///     }
    ///     MillraceCommand.main()
    public static func main(fitting fit: Fit) -> Never {
        endProcess {
            var fit = fit
            let stop = fit.stop ?? StopSignals.install(quiet: false)
            fit.stop = stop
            if try fit.run().summary.interrupted { throw ExitCode(StopSignals.exitStatus(of: stop, underLauncher: false)) }
        }
        terminate(0)
    }

    /// Runs `body` with the process set up as the command needs it, and ends the process with
    /// the command's exit code and error line when `body` throws.
    private static func endProcess(_ body: () throws -> Void) {
        // Before anything opens a file: a closed descriptor 2 reused by a checkpoint file would
        // receive log lines. Writes to a full disk or a gone reader fail instead of killing.
        StandardStreams.reopenClosedDescriptors()
        StandardStreams.ignoreWriteSignals()
        MemoryTuning.keepFreedMemory()
        do {
            try body()
        } catch let error as DataError {
            fail(error.description, code: 1)
        } catch let error as RunConfigurationError {
            fail(error.description, code: 1)
        } catch let error as CheckpointError {
            fail(error.description, code: 1)
        } catch let error as PipelineError {
            fail(error.description, code: 1)
        } catch let error as DivergenceError {
            fail(error.description, code: 1)
        } catch let error as ModelDescriptionError {
            fail(error.description, code: 1)
        } catch let error as LayerShapeError {
            fail(error.description, code: 1)
        } catch let error as CocoaError where error.isFileError {
            fail(fileProblem(error), code: 1)
        } catch let error as POSIXError {
            fail("\(error.localizedDescription); check the paths, their permissions and the free disk space", code: 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: the text is the result (a full standard output fails the command).
                do { try ResultOutput.print(fullMessage(for: error)) } catch { fail("\(error)", code: 1) }
                Foundation.exit(0)
            }
            // 128 + signal after a stop saved its checkpoint and report: nothing is left to do.
            if code.rawValue > 128 { terminate(code.rawValue) }
            if error is ValidationError || code == .validationFailure {
                // One line; `--help` shows the usage.
                fail(message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)", code: 1)
            }
            fail("internal error: \(error)", code: 2)
        }
    }

    /// A file-system error as one line: the path, what went wrong, what to check.
    static func fileProblem(_ error: CocoaError) -> String {
        let path = error.filePath ?? error.url?.path ?? (error.userInfo[NSFilePathErrorKey] as? String)
        let reason: String
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteOutOfSpace: reason = "the disk is full"
        case .fileWriteVolumeReadOnly: reason = "the volume is read-only"
        case .fileWriteFileExists: reason = "something is already there"
        case .fileWriteUnknown: reason = path.map { PathProblem.reason(creating: $0, error: error) } ?? "cannot write there"
        case .fileReadUnknown, .fileReadCorruptFile: reason = "cannot read it"
        default: reason = error.localizedDescription
        }
        return "\(path.map { "\($0): " } ?? "")\(reason); check the path, its permissions and the free disk space"
    }

    /// Writes the one `error:` line (control characters of quoted user text escaped, so the
    /// message stays one visible line) and ends the process with `code`.
    static func fail(_ message: String, code: Int32) -> Never {
        // One write, so that lines of several MPI ranks sharing the terminal do not interleave.
        StandardStreams.write("\(errorPrefix)error: \(TerminalText.escaped(message))\n")
        terminate(code)
    }

    /// Ends the process with `code` once the command is over: stdio flushed (results and notes
    /// are written with write(2) and files are closed or synced already), then `_exit`. Not
    /// `exit`: after an error or a stop, threads may still run (a batch producer finishing its
    /// batch, a staging download that a stop does not wait for), and `exit` would run the
    /// exit-time destructors of the loaded libraries (oneDNN's caches, libstdc++, Foundation)
    /// under them.
    static func terminate(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// A command with no options (the subcommands hold them).
    public init() {}

    /// Put before every error line: `rank r of N: ` in a data-parallel run.
    nonisolated(unsafe) static var errorPrefix = ""

    /// The command's name, abstract and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "millrace",
        abstract: "Train neural networks from real data, fast and reproducibly.",
        subcommands: [
            TrainCommand.self, EvaluateCommand.self, PredictCommand.self, InspectCommand.self, PackCommand.self, ReportCommand.self,
            BenchCommand.self,
        ]
    )
}
