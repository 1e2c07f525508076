import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 20's output classes, as a hostile user meets them: a result that cannot be written
/// (`>/dev/full`, a reader that has gone), a stop that must say only what it did, outputs whose
/// path names a device, FIFO, socket or folder, inputs that are FIFOs or link loops, integer flags
/// out of range, and control bytes in what messages quote. Each row is one `millrace` process
/// (`FieldCase`); rows whose standard output or error goes elsewhere than a file run through
/// `problems(_:output:errors:)`, which checks the same things and that no raw control byte
/// was printed.
final class FieldOutputTests: XCTestCase {
    let millrace = BuiltProducts.executable("millrace")
    var directory: TemporaryDirectory!
    private var trainedRun: String?

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        try LifecycleFixture.write(into: directory)
    }

    /// The absolute path of `name` in the test's folder.
    func path(_ name: String) -> String { directory.path(name).path }

    /// A run of `adam` (2 epochs of 12 steps), trained once per test.
    private func trained() throws -> String {
        if let trainedRun { return trainedRun }
        let run = path("trained")
        let result = try BuiltProducts.run(millrace, ["train", path("adam.json"), "--run-dir", run, "--quiet"])
        XCTAssertEqual(result.status, 0, result.errors)
        trainedRun = run
        return run
    }

    /// A fresh copy of the trained run as `name`.
    private func copy(as name: String) throws -> String {
        try FileManager.default.copyItem(atPath: try trained(), toPath: path(name))
        return path(name)
    }

    /// Runs `row` as `FieldCase.problems()` does, with standard output and error going to
    /// `output` and `errors` (default: files, whose text the fragments are looked for in), and
    /// also reports any raw control byte (other than a line feed) in that text.
    func problems(_ row: FieldCase, output: FileHandle? = nil, errors: FileHandle? = nil) throws -> [String] {
        let before = row.unchanged.map { TreeSnapshot(of: $0) }
        let name = UUID().uuidString
        let outputPath = path("\(name).out")
        let errorsPath = path("\(name).err")
        for file in [outputPath, errorsPath] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let process = try BuiltProducts.start(
            millrace, row.arguments, standardOutput: try output ?? FileHandle(forWritingTo: URL(fileURLWithPath: outputPath)),
            standardError: try errors ?? FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath)))
        guard BuiltProducts.wait(for: process) else { return ["\(row.name): still running 120 s later (hang guard)"] }
        let stderr = try String(contentsOfFile: errorsPath, encoding: .utf8)
        let text = stderr + (try String(contentsOfFile: outputPath, encoding: .utf8))
        var problems: [String] = []
        if process.terminationStatus != row.status {
            problems.append("\(row.name): exit status \(process.terminationStatus), expected \(row.status); stderr:\n\(stderr)")
        }
        for fragment in row.fragments where !text.contains(fragment) { problems.append("\(row.name): '\(fragment)' missing from:\n\(text)") }
        if row.status == 1 && errors == nil && stderr.split(separator: "\n").filter({ $0.contains("error:") }).count != 1 {
            problems.append("\(row.name): one error line expected:\n\(stderr)")
        }
        if text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }) {
            problems.append("\(row.name): a raw control byte was printed: \(text.debugDescription)")
        }
        for (path, snapshot) in zip(row.unchanged, before) where TreeSnapshot(of: path) != snapshot {
            problems.append("\(row.name): \(path) changed")
        }
        return problems
    }

    private func assertRows(_ rows: [FieldCase], file: StaticString = #filePath, line: UInt = #line) throws {
        for row in rows { XCTAssertEqual(try row.problems(), [], file: file, line: line) }
    }

    /// Creates a FIFO at `path`.
    func makeFIFO(_ path: String) {
        XCTAssertEqual(mkfifo(path, 0o644), 0, "mkfifo \(path)")
    }

    /// What `path` is (`S_IFIFO`, `S_IFSOCK`, ...), not following links.
    func kind(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    /// A result that cannot be written whole (a full disk, a reader that has gone) fails the
    /// command with exit 1 and one error line, whatever the command; a full standard error
    /// (notes and progress only) never does.
    func testResultsThatCannotBeWrittenFailTheCommand() throws {
        let run = try trained()
        let full = { try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full")) }
        let full1 = "standard output: cannot write the command's result: No space left on device"
        let rows: [(FieldCase, FileHandle?, FileHandle?)] = [
            (
                FieldCase(
                    "train --json >/dev/full", ["train", path("adam.json"), "--run-dir", path("full-train"), "--quiet", "--json"], status: 1,
                    [full1, "the disk is full"]), try full(), nil
            ),
            (
                FieldCase(
                    "evaluate --json >/dev/full", ["evaluate", run + "/checkpoints", "--data", path("data.csv"), "--json"], status: 1, [full1]),
                try full(), nil
            ),
            (
                FieldCase("evaluate's table >/dev/full", ["evaluate", run + "/checkpoints", "--data", path("data.csv")], status: 1, [full1]),
                try full(), nil
            ),
            (FieldCase("predict >/dev/full", ["predict", run + "/checkpoints", path("data.csv")], status: 1, [full1]), try full(), nil),
            (FieldCase("inspect --json >/dev/full", ["inspect", run + "/checkpoints", "--json"], status: 1, [full1]), try full(), nil),
            (FieldCase("report --json >/dev/full", ["report", run, "--output", path("page.html"), "--json"], status: 1, [full1]), try full(), nil),
            (FieldCase("report's line >/dev/full", ["report", run, "--output", path("page2.html")], status: 1, [full1]), try full(), nil),
            (
                FieldCase("pack --json >/dev/full", ["pack", path("data.csv"), "--output", path("full-pack"), "--json"], status: 1, [full1]),
                try full(), nil
            ),
            (FieldCase("--help >/dev/full", ["--help"], status: 1, [full1]), try full(), nil),
            (
                FieldCase(
                    "predict into a pipe whose reader has gone", ["predict", run + "/checkpoints", path("data.csv")], status: 1, ["Broken pipe"]),
                try closedPipe(), nil
            ),
            (
                FieldCase(
                    "train --json 2>/dev/full: notes lost, the run whole", ["train", path("adam.json"), "--run-dir", path("quiet-full"), "--json"],
                    status: 0, ["\"steps\":24"]),
                nil, try full()
            ),
            (FieldCase("predict 2>/dev/full", ["predict", run + "/checkpoints", path("data.csv")], status: 0, ["data.csv:2: "]), nil, try full()),
        ]
        for (row, output, errors) in rows { XCTAssertEqual(try problems(row, output: output, errors: errors), []) }
        // The run whose JSON was lost is complete: its last checkpoint and report are there.
        XCTAssertEqual(try CommittedCheckpoint.latest(in: URL(fileURLWithPath: path("full-train") + "/checkpoints")).step, 24)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("full-train") + "/report.html"))
    }

    /// An output path (report, configuration, metrics log, pack, checkpoint pointer) that names
    /// a device, FIFO, socket or folder is refused with its kind named, and left what it was: a
    /// write by rename would have replaced it with a regular file. `report` on a folder that no
    /// run wrote is refused before anything is written.
    func testOutputsThatAreNotRegularFilesAreNeverReplaced() throws {
        let run = try trained()
        let kept = [run + "/metrics.jsonl", run + "/configuration.json", run + "/checkpoints"]
        let specials = path("specials")
        try FileManager.default.createDirectory(atPath: specials + "/folder", withIntermediateDirectories: true)
        makeFIFO(specials + "/fifo")
        try bindSocket(specials + "/socket")
        let device = mknod(specials + "/device", S_IFCHR | 0o644, 0x103) == 0  // a /dev/null of our own (1, 3): root only
        if !device { print("skipped the device row: mknod is not allowed here (\(String(cString: strerror(errno))))") }
        let reportRun = try copy(as: "report-fifo")
        try FileManager.default.removeItem(atPath: reportRun + "/report.html")
        makeFIFO(reportRun + "/report.html")
        for name in ["configuration-fifo", "metrics-fifo", "latest-fifo/checkpoints"] {
            try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
        }
        makeFIFO(path("configuration-fifo") + "/configuration.json")
        makeFIFO(path("metrics-fifo") + "/metrics.jsonl")
        makeFIFO(path("latest-fifo/checkpoints") + "/latest")
        let packed = path("packed")
        let packing = try BuiltProducts.run(millrace, ["pack", path("data.csv"), "--output", packed, "--shard-size", "1KB"])
        XCTAssertEqual(packing.status, 0, packing.errors)
        try FileManager.default.removeItem(atPath: packed + "/shard-00001.mrshard")
        makeFIFO(packed + "/shard-00001.mrshard")
        let empty = path("empty")
        let notRun = path("not-a-run")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: notRun + "/photos", withIntermediateDirectories: true)
        try "holiday".write(toFile: notRun + "/notes.txt", atomically: true, encoding: .utf8)
        func report(_ name: String, _ output: String, _ kind: String) -> FieldCase {
            FieldCase(
                "report --output \(name)", ["report", run, "--output", output], status: 1, [output, kind, "not a regular file"], unchanged: kept)
        }
        var rows = [
            report("a FIFO", specials + "/fifo", "a FIFO (named pipe)"),
            report("a socket", specials + "/socket", "a socket"),
            report("a folder", specials + "/folder", "a directory"),
            FieldCase(
                "report into a run whose report.html is a FIFO", ["report", reportRun], status: 1,
                [reportRun + "/report.html", "a FIFO (named pipe)"], unchanged: [reportRun + "/metrics.jsonl", reportRun + "/checkpoints"]),
            FieldCase(
                "train into a folder whose configuration.json is a FIFO", ["train", path("adam.json"), "--run-dir", path("configuration-fifo")],
                status: 1, ["configuration.json", "the run's configuration would replace a FIFO (named pipe)"]),
            FieldCase(
                "train into a folder whose metrics.jsonl is a FIFO (no wait for a reader)",
                ["train", path("adam.json"), "--run-dir", path("metrics-fifo")], status: 1, ["metrics.jsonl", "a FIFO (named pipe) is where"]),
            FieldCase(
                "a checkpoint pointer that is a FIFO", ["train", path("adam.json"), "--run-dir", path("latest-fifo")], status: 1,
                ["checkpoints/latest", "the checkpoint file would replace a FIFO (named pipe)"]),
            FieldCase(
                "pack over an earlier pack whose shard is a FIFO", ["pack", path("data.csv"), "--output", packed, "--shard-size", "1KB"],
                status: 1, ["shard-00001.mrshard", "the shard would replace a FIFO (named pipe)"],
                unchanged: [packed + "/manifest.json", packed + "/shard-00000.mrshard"]),
            FieldCase(
                "report on an empty folder", ["report", empty], status: 1, ["not a run folder", "metrics.jsonl", "checkpoints"],
                unchanged: [empty]),
            FieldCase(
                "report on a folder no run wrote", ["report", notRun, "--json"], status: 1, ["\(notRun): not a run folder"],
                unchanged: [notRun]),
            FieldCase("report on a file", ["report", notRun + "/notes.txt"], status: 1, ["a file, not a run directory"], unchanged: [notRun]),
            FieldCase(
                "report into a new file still works", ["report", run, "--output", path("fresh.html")], status: 0, ["report written to"],
                unchanged: kept),
        ]
        if device { rows.append(report("a character device", specials + "/device", "a character device")) }
        try assertRows(rows)
        XCTAssertEqual(kind(specials + "/fifo"), S_IFIFO)
        XCTAssertEqual(kind(specials + "/socket"), S_IFSOCK)
        XCTAssertEqual(kind(specials + "/folder"), S_IFDIR)
        if device { XCTAssertEqual(kind(specials + "/device"), S_IFCHR) }
        XCTAssertEqual(kind(reportRun + "/report.html"), S_IFIFO)
        XCTAssertEqual(kind(path("configuration-fifo") + "/configuration.json"), S_IFIFO)
        XCTAssertEqual(kind(path("metrics-fifo") + "/metrics.jsonl"), S_IFIFO)
        XCTAssertEqual(kind(path("latest-fifo/checkpoints") + "/latest"), S_IFIFO)
        XCTAssertEqual(kind(packed + "/shard-00001.mrshard"), S_IFIFO)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: specials).sorted(),
            ["device", "fifo", "folder", "socket"].filter { device || $0 != "device" })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: specials + "/folder"), [])
    }

    /// Inputs are opened as regular files only, without waiting: a FIFO (which would block an
    /// open until a writer comes) is refused with its kind named, a symbolic link loop or a
    /// dangling link is named as such (not "no such file").
    func testInputsThatAreNotRegularFilesAreRefusedAtOnce() throws {
        let run = try trained()
        let inputs = path("inputs")
        try FileManager.default.createDirectory(atPath: inputs + "/folder.json", withIntermediateDirectories: true)
        makeFIFO(inputs + "/fifo.json")
        makeFIFO(inputs + "/fifo.csv")
        for (link, target) in [
            ("loop.json", "loop2.json"), ("loop2.json", "loop.json"), ("loop.csv", "loop2.csv"), ("loop2.csv", "loop.csv"),
            ("dangling.json", "gone.json"), ("loop-run", "loop-run"),
        ] {
            try FileManager.default.createSymbolicLink(atPath: inputs + "/" + link, withDestinationPath: target)
        }
        let runCopy = try copy(as: "metrics-fifo-run")
        try FileManager.default.removeItem(atPath: runCopy + "/metrics.jsonl")
        makeFIFO(runCopy + "/metrics.jsonl")
        let fifoData = try String(contentsOfFile: path("adam.json"), encoding: .utf8).replacingOccurrences(
            of: path("data.csv"), with: inputs + "/fifo.csv")
        try fifoData.write(toFile: path("fifo-data.json"), atomically: true, encoding: .utf8)
        let train = { (file: String) in ["train", file, "--run-dir", self.path("input-run")] }
        let rows = [
            FieldCase("a pipeline file that is a FIFO", train(inputs + "/fifo.json"), status: 1, ["fifo.json", "a FIFO (named pipe)"]),
            FieldCase("a pipeline file that is a link loop", train(inputs + "/loop.json"), status: 1, ["loop.json", "symbolic link loop"]),
            FieldCase(
                "a pipeline file that is a dangling link", train(inputs + "/dangling.json"), status: 1,
                ["dangling.json", "dangling symbolic link to gone.json"]),
            FieldCase("a pipeline file that is a folder", train(inputs + "/folder.json"), status: 1, ["a folder, not a pipeline file"]),
            FieldCase("a pipeline whose data is a FIFO", train(path("fifo-data.json")), status: 1, ["fifo.csv", "a FIFO (named pipe)"]),
            FieldCase(
                "--data that is a link loop", train(path("adam.json")) + ["--data", inputs + "/loop.csv"], status: 1,
                ["--data", "loop.csv", "symbolic link loop"]),
            FieldCase("predict on a FIFO", ["predict", run + "/checkpoints", inputs + "/fifo.csv"], status: 1, ["fifo.csv", "a FIFO (named pipe)"]),
            FieldCase("predict on a link loop", ["predict", run + "/checkpoints", inputs + "/loop.csv"], status: 1, ["symbolic link loop"]),
            FieldCase(
                "evaluate on a link loop", ["evaluate", run + "/checkpoints", "--data", inputs + "/loop.csv"], status: 1, ["symbolic link loop"]),
            FieldCase(
                "evaluate a checkpoint that is a link loop", ["evaluate", inputs + "/loop-run", "--data", path("data.csv")], status: 1,
                ["symbolic link loop"]),
            FieldCase("report on a link loop", ["report", inputs + "/loop-run"], status: 1, ["symbolic link loop"]),
            FieldCase(
                "report on a run whose metrics.jsonl is a FIFO", ["report", runCopy, "--output", path("fifo-report.html")], status: 1,
                ["metrics.jsonl", "a FIFO (named pipe)"]),
            FieldCase("inspect a FIFO", ["inspect", inputs + "/fifo.csv"], status: 1, ["a FIFO (named pipe)"]),
        ]
        try assertRows(rows)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("fifo-report.html")))
    }

    /// Integer flags out of their type's range or below their least value name the range; an
    /// error line, and any progress line, shows control bytes of the user's text escaped.
    func testIntegerFlagsNameTheirRangeAndMessagesEscapeControlBytes() throws {
        let run = try trained()
        let train = { (extra: [String]) in ["train", self.path("adam.json"), "--run-dir", self.path("range-run")] + extra }
        let rows = [
            FieldCase(
                "--seed beyond UInt64", train(["--seed", "99999999999999999999"]), status: 1,
                ["--seed", "out of range", "use a whole number from 0 to 18446744073709551615"]),
            FieldCase(
                "--epochs beyond Int", train(["--epochs", "99999999999999999999"]), status: 1,
                ["--epochs", "out of range", "from 1 to 9223372036854775807"]),
            FieldCase("--epochs 0", train(["--epochs", "0"]), status: 1, ["--epochs", "0 is too small", "from 1 to"]),
            FieldCase("--checkpoint-every -3", train(["--checkpoint-every", "-3"]), status: 1, ["-3 is too small", "from 1 to"]),
            FieldCase("--batch-size -1", train(["--batch-size", "-1"]), status: 1, ["--batch-size", "from 0 to 9223372036854775807"]),
            FieldCase("--threads two", train(["--threads", "two"]), status: 1, ["--threads", "not a whole number", "from 1 to"]),
            FieldCase("--gradient-chunk 1e3", train(["--gradient-chunk", "1e3"]), status: 1, ["not a whole number"]),
            FieldCase("predict --top 0", ["predict", run + "/checkpoints", path("data.csv"), "--top", "0"], status: 1, ["--top", "from 1 to"]),
            FieldCase(
                "pack --seed -1", ["pack", path("data.csv"), "--output", path("seed-pack"), "--seed=-1"], status: 1,
                ["--seed", "from 0 to 18446744073709551615"]),
            FieldCase(
                "bench pipeline --epochs beyond Int", ["bench", "pipeline", path("data.csv"), "--epochs", "99999999999999999999"], status: 1,
                ["--epochs", "out of range"]),
        ]
        try assertRows(rows)
        let keyed = try String(contentsOfFile: path("adam.json"), encoding: .utf8).replacingOccurrences(
            of: #""seed": 3"#, with: #""seed": 3, "\u001b[31mred\u0000": 1"#)
        try keyed.write(toFile: path("keyed.json"), atomically: true, encoding: .utf8)
        try "a,b,c,d,label\n1,2,3,4,0\n1,\u{1B}[31mx,3,4,1\n".write(toFile: path("cell.csv"), atomically: true, encoding: .utf8)
        let controlRows = [
            FieldCase("a key with ESC and NUL", ["train", path("keyed.json")], status: 1, ["key '\\u{1B}[31mred\\0'", "unknown key"]),
            FieldCase(
                "a CSV cell with ESC", ["evaluate", run + "/checkpoints", "--data", path("cell.csv")], status: 1,
                ["cell.csv:3:2", "'\\u{1B}[31mx'"]),
            FieldCase(
                "a path with ESC and a line feed", ["train", path("no\u{1B}[2J\nerror: such.json")], status: 1,
                ["no\\u{1B}[2J\\nerror: such.json", "no such file"]),
            FieldCase("a flag value with ESC", train(["--seed", "1\u{1B}[31m"]), status: 1, ["'1\\u{1B}[31m'", "not a whole number"]),
            FieldCase(
                "a run directory with ESC in the progress lines", ["train", path("adam.json"), "--run-dir", path("run\u{1B}[31m"), "--epochs", "1"],
                status: 0, ["logs in \(path("run"))\\u{1B}[31m", "done: 1 epochs"]),
        ]
        for row in controlRows { XCTAssertEqual(try problems(row), []) }
    }

    /// The write end of a pipe whose read end is closed (writes fail with EPIPE).
    private func closedPipe() throws -> FileHandle {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        return pipe.fileHandleForWriting
    }

    /// Binds a Unix socket at `path` (the socket file stays after the descriptor is closed).
    private func bindSocket(_ path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw XCTSkip("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0, "bind \(path)")
    }
}
