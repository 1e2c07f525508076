import Foundation

/// The Python that tests run (for reading files with the reference implementations): the one
/// `.ci/setup` prepares.
public enum PythonInterpreter {
    /// `$MILLRACE_PYTHON` when set, else `<repository>/.venv/bin/python` (made by `.ci/setup`)
    /// when it exists, else `python3` from the PATH; as an executable and the arguments before
    /// the script's own.
    public static var command: (executable: String, arguments: [String]) {
        if let chosen = ProcessInfo.processInfo.environment["MILLRACE_PYTHON"], !chosen.isEmpty {
            return (chosen, [])
        }
        let venv = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: venv) {
            return (venv, [])
        }
        return ("/usr/bin/env", ["python3"])
    }
}
