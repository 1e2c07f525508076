import Foundation
import SystemIO

/// Training progress for people: on a terminal, a bar per epoch redrawn in place (batches, loss,
/// accuracy, samples/s, data-wait share, ETA); elsewhere (CI, log files) one plain line every few
/// seconds and at each epoch's end. It writes to standard error, so that standard output carries
/// only a command's result (`millrace train --json | jq` works whatever else is printed). A full
/// or closed standard error loses the text, never the run.
public final class ProgressReporter {
    /// How much to print.
    public enum Verbosity: Sendable {
        /// Only errors and the final summary.
        case quiet
        /// Progress and epoch lines.
        case normal
        /// Also a line per logged step.
        case verbose
    }

    private let isTerminal: Bool
    private let verbosity: Verbosity
    private let write: (String) -> Void
    private let plainInterval: Double
    private var lastPlain = 0.0
    private var barShown = false

    /// Creates a reporter writing through `write` (standard error by default).
    public init(
        isTerminal: Bool, verbosity: Verbosity = .normal, plainInterval: Double = 5,
        write: @escaping (String) -> Void = { text in StandardStreams.write(text) }
    ) {
        self.isTerminal = isTerminal
        self.verbosity = verbosity
        self.plainInterval = plainInterval
        self.write = write
    }

    /// Whether standard output is a terminal.
    public static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// Whether standard error (where a default reporter writes) is a terminal.
    public static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// A line of text (ending any bar first); control characters in it (from a quoted path,
    /// key or CSV cell) are escaped (`TerminalText`), line feeds kept.
    public func line(_ text: String) {
        guard verbosity != .quiet else { return }
        endBar()
        write(TerminalText.escaped(text, keepingNewlines: true) + "\n")
    }

    /// Progress within an epoch; `remainingSeconds` is the epoch's estimate, `runRemainingSeconds`
    /// the whole run's. A regression shows `rootMeanSquaredError` in place of the accuracy.
    public func step(
        epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double,
        samplesPerSecond: Double, waitShare: Double, remainingSeconds: Double, runRemainingSeconds: Double? = nil,
        rootMeanSquaredError: Double? = nil
    ) {
        guard verbosity != .quiet else { return }
        let run = runRemainingSeconds.map { "  run ETA \(ProgressReporter.duration($0))" } ?? ""
        let quality = rootMeanSquaredError.map { String(format: "rmse %.4g", $0) } ?? String(format: "acc %5.1f%%", accuracy * 100)
        let figures = String(
            format: "loss %.4f  %@  %6.0f samples/s  data wait %4.1f%%  epoch ETA %@%@",
            loss, quality, samplesPerSecond, waitShare * 100, ProgressReporter.duration(remainingSeconds), run)
        if isTerminal {
            let width = 24
            let filled = batches > 0 ? min(width, width * batch / batches) : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[2Kepoch \(epoch + 1)/\(epochs) [\(bar)] \(batch)/\(batches)  \(figures)")
            barShown = true
        } else {
            let now = Date().timeIntervalSince1970
            if verbosity == .verbose || now - lastPlain >= plainInterval {
                lastPlain = now
                write("epoch \(epoch + 1)/\(epochs) batch \(batch)/\(batches)  \(figures)\n")
            }
        }
    }

    private func endBar() {
        if barShown {
            write("\n")
            barShown = false
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? "\(whole / 3600)h\(whole % 3600 / 60)m" : whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }
}
