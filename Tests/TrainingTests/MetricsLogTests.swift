import Foundation
import TestSupport
import Training
import XCTest

/// `metrics.jsonl` on a full disk: the run's lines are lost, the run is not.
final class MetricsLogTests: XCTestCase {
    /// A log on a 64 KiB tmpfs that a filler file then fills: the first record (written before)
    /// stays whole, the next two are counted as dropped instead of trapping (FileHandle's
    /// non-throwing write traps on ENOSPC), and the file holds exactly the first line: the part of a
    /// record that fitted in the log's last page is taken back.
    func testAFullDiskDropsRecordsAndCountsThem() throws {
        let directory = try TemporaryDirectory()
        let mount = directory.path("small-disk").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try BuiltProducts.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])
        guard mounted.status == 0 else {
            print("skipped: cannot mount a tmpfs here (\(mounted.errors.trimmingCharacters(in: .whitespacesAndNewlines)))")
            throw XCTSkip("cannot mount a tmpfs: \(mounted.errors)")
        }
        defer { _ = try? BuiltProducts.run("/bin/umount", [mount]) }
        let path = mount + "/metrics.jsonl"
        let log = try MetricsLog(path: path)
        log.append(["step": 1])
        // Fill every remaining block of the tmpfs.
        XCTAssertTrue(FileManager.default.createFile(atPath: mount + "/filler", contents: nil))
        let filler = try XCTUnwrap(FileHandle(forWritingAtPath: mount + "/filler"))
        while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
        try? filler.close()
        log.append(["step": 2, "text": String(repeating: "x", count: 8192)])
        log.append(["step": 3, "text": String(repeating: "y", count: 8192)])
        XCTAssertEqual(log.droppedRecords, 2)
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self), "{\"step\":1}\n")
    }
}
