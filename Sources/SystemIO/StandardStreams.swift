#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's standard descriptors made safe for a long run: closed ones reopened on
/// `/dev/null` (so that no later `open()` gets descriptor 2 and receives log lines meant for
/// standard error), writes that ignore a full disk or a reader that has gone, and the signals
/// that such writes would raise (SIGPIPE, SIGXFSZ) ignored, so that they fail with an error code
/// instead of ending the process.
public enum StandardStreams {
    /// Reopens each of descriptors 0, 1 and 2 that is closed on `/dev/null`. Call it first thing
    /// in `main`, before anything opens a file.
    public static func reopenClosedDescriptors() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // open() returns the lowest free descriptor: this one, as the lower ones are open.
            let opened = open("/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }

    /// Ignores SIGPIPE (a pipe whose reader has gone) and SIGXFSZ (a file over `ulimit -f`):
    /// writes then fail with EPIPE or EFBIG, which the writer reports or ignores.
    public static func ignoreWriteSignals() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Writes `text` to `descriptor` (standard error by default) in as few `write` calls as the
    /// kernel allows; a full disk (`2>/dev/full`), a closed pipe or a closed descriptor loses the
    /// text and nothing else: never a trap, never a signal (with `ignoreWriteSignals()`).
    public static func write(_ text: String, to descriptor: Int32 = STDERR_FILENO) {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                #if canImport(Glibc)
                    let result = Glibc.write(descriptor, base + written, buffer.count - written)
                #else
                    let result = Darwin.write(descriptor, base + written, buffer.count - written)
                #endif
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { return }  // EPIPE, ENOSPC, EBADF: the text is lost, the run goes on
                written += result
            }
        }
    }
}
