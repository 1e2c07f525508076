import Foundation

/// Executables built next to the test bundle (SwiftPM builds products the tests depend on).
public enum BuiltProducts {
    /// The path of the built executable `name`.
    public static func executable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Runs an executable to completion (killing it after `timeout` seconds) and returns its
    /// exit status, standard output and standard error.
    @discardableResult
    public static func run(_ path: String, _ arguments: [String], timeout: Double = 120) throws -> (status: Int32, output: String, errors: String) {
        let directory = try TemporaryDirectory(prefix: "millrace-run")
        let outputURL = directory.path("stdout")
        let errorURL = directory.path("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        )
    }
}
