import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Executables built next to the test bundle (SwiftPM builds products the tests depend on).
public enum BuiltProducts {
    /// The path of the built executable `name`.
    public static func executable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Starts the executable at `path` with `arguments`, its standard output and error going to
    /// the given handles (by default discarded), and returns the running process.
    public static func start(
        _ path: String, _ arguments: [String], standardOutput: FileHandle = .nullDevice, standardError: FileHandle = .nullDevice
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        return process
    }

    /// Waits until `process` exits; true if it did within `timeout` seconds. The timeout only
    /// guards against a hang: past it the process is stopped (`stop(_:)`) and the answer is
    /// false, which the caller reports as a failure.
    @discardableResult
    public static func wait(for process: Process, timeout: Double = 120) -> Bool {
        guard waitUntil(timeout: timeout, { !process.isRunning }) else {
            stop(process)
            return false
        }
        process.waitUntilExit()
        return true
    }

    /// Ends `process` (SIGTERM, then SIGKILL if it still runs 30 s later) and reaps it.
    public static func stop(_ process: Process) {
        if process.isRunning { process.terminate() }
        if !waitUntil(timeout: 30, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs an executable to completion (ending it after `timeout` seconds, a hang guard) and
    /// returns its exit status, standard output and standard error.
    @discardableResult
    public static func run(_ path: String, _ arguments: [String], timeout: Double = 120) throws -> (status: Int32, output: String, errors: String) {
        let directory = try TemporaryDirectory(prefix: "millrace-run")
        let outputURL = directory.path("stdout")
        let errorURL = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = try start(
            path, arguments, standardOutput: try FileHandle(forWritingTo: outputURL), standardError: try FileHandle(forWritingTo: errorURL))
        wait(for: process, timeout: timeout)
        return (
            process.terminationStatus, (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        )
    }
}
