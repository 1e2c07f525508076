import SystemIO

/// A command's result on standard output (its table, report line, predictions or `--json`
/// object): the one way commands write there. A result that cannot be written (a full disk, a
/// reader that has gone) throws, and the command fails with exit 1 and an `error:` line, instead
/// of exiting 0 with its result lost. Notes and progress go to standard error (`Diagnostics`),
/// where a write that fails loses the text, never the command.
enum ResultOutput {
    /// Writes `text` and `terminator` to standard output, whole, or throws.
    static func print(_ text: String = "", terminator: String = "\n") throws {
        try StandardStreams.writeResult(text + terminator)
    }
}
