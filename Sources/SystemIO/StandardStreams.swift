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
    /// text and nothing else: never a trap, never a signal (with `ignoreWriteSignals()`). For
    /// notes, progress and log lines, whose loss must not stop a run; a command's result goes
    /// through `writeResult(_:)`.
    public static func write(_ text: String, to descriptor: Int32 = STDERR_FILENO) {
        _ = writeAll(text, to: descriptor)
    }

    /// Writes a command's result (its report, its JSON object, its predictions) to standard
    /// output, whole, and throws when it cannot: a full disk (`>/dev/full`), a reader that has
    /// gone (EPIPE), an I/O error. A result that is not written is a failed command (exit 1),
    /// never a silent success. A non-blocking descriptor that is full is waited for.
    public static func writeResult(_ text: String) throws(DataError) {
        guard let code = writeAll(text, to: STDOUT_FILENO, waitingWhenFull: true) else { return }
        let fix: String
        switch code {
        case ENOSPC, EDQUOT, EFBIG: fix = "the disk is full: free space, or send the output elsewhere"
        case EPIPE: fix = "the program reading the output stopped reading: let it read to the end, or write the output to a file"
        default: fix = "send the output to a file or program that can take it"
        }
        throw DataError(
            .unwritable, path: "standard output", reason: "cannot write the command's result: \(String(cString: strerror(code)))", fix: fix)
    }

    /// Writes all of `text`; returns nil, or the `errno` of the write that failed. `EAGAIN` (a
    /// non-blocking descriptor that is full) waits for room when `waitingWhenFull`, else fails.
    private static func writeAll(_ text: String, to descriptor: Int32, waitingWhenFull: Bool = false) -> Int32? {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        return bytes.withUnsafeMutableBytes { buffer -> Int32? in
            guard let base = buffer.baseAddress else { return nil }
            var written = 0
            while written < buffer.count {
                #if canImport(Glibc)
                    let result = Glibc.write(descriptor, base + written, buffer.count - written)
                #else
                    let result = Darwin.write(descriptor, base + written, buffer.count - written)
                #endif
                if result < 0 && errno == EINTR { continue }
                if result < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waitingWhenFull {
                    var request = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&request, 1, -1)
                    continue
                }
                guard result > 0 else { return result < 0 ? errno : EIO }  // EPIPE, ENOSPC, EBADF
                written += result
            }
            return nil
        }
    }
}
