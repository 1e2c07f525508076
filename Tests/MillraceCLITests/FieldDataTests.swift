import Foundation
import TestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 20, the data side: collisions of caches and packs with the data and other files,
/// packed-data manifests that lie, hostile servers, special files and hostile CSV files. Each row
/// is a `millrace` command, its exit status, fragments of its one-line message, and the paths it
/// must leave unchanged.
final class FieldDataTests: XCTestCase {
    private let root = Fixtures.repositoryRoot.path
    private var directory: TemporaryDirectory!
    private func path(_ name: String) -> String { directory.path(name).path }

    override func setUpWithError() throws {
        directory = try TemporaryDirectory(prefix: "millrace-field-data")
        let packed = try BuiltProducts.run(
            BuiltProducts.executable("millrace"),
            ["pack", root + "/datasets/digits", "--output", path("packed"), "--shard-size", "16KB", "--channels", "gray"])
        XCTAssertEqual(packed.status, 0, packed.errors)
    }

    private func write(_ text: String, to name: String) throws {
        try FileManager.default.createDirectory(atPath: (path(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: directory.path(name))
    }

    /// A copy of the packed folder whose manifest `edit` changes.
    private func editedPack(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        try FileManager.default.copyItem(atPath: path("packed"), toPath: path(name))
        let url = URL(fileURLWithPath: path(name) + "/manifest.json")
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&manifest)
        try JSONSerialization.data(withJSONObject: manifest).write(to: url)
        return path(name)
    }

    /// A small image folder: classes 0 and 1 with 12 digits each.
    private func smallFolder(_ name: String) throws -> String {
        for label in ["0", "1"] {
            try FileManager.default.createDirectory(atPath: path("\(name)/\(label)"), withIntermediateDirectories: true)
            let source = root + "/datasets/digits/\(label)"
            for file in try FileManager.default.contentsOfDirectory(atPath: source).sorted().prefix(12) {
                try FileManager.default.copyItem(atPath: "\(source)/\(file)", toPath: path("\(name)/\(label)/\(file)"))
            }
        }
        return path(name)
    }

    private func train(_ data: String, _ extra: [String] = [], run: String) -> [String] {
        ["train", "pipelines/digits-mlp.json", "--data", data, "--epochs", "1", "--run-dir", path("runs/\(run)")] + extra
    }

    private func packedTrain(_ data: String, _ extra: [String] = [], run: String) -> [String] {
        train(data, ["--validation", root + "/datasets/digits", "--cache-budget", "1MB"] + extra, run: run)
    }

    func testCollisionsOfCachesAndPacks() throws {
        let packed = path("packed")
        try write(#"{"step": 3, "files": []}"#, to: "checkpoint/manifest.json")
        try write("mine", to: "notes/readme.txt")
        try write("mine", to: "user-cache/shard-00001.mrshard")
        try write("a file", to: "plain-file")
        try FileManager.default.createSymbolicLink(atPath: path("packed-link"), withDestinationPath: packed)
        try FileManager.default.copyItem(atPath: packed, toPath: path("repack"))
        let pack = { (input: String, output: String) in ["pack", input, "--output", output, "--shard-size", "16KB", "--channels", "gray"] }
        let rows = [
            FieldCase(
                "pack over a checkpoint", pack(root + "/datasets/digits", path("checkpoint")), status: 1,
                ["--output is not empty", "no shard manifest"], unchanged: [path("checkpoint")]),
            FieldCase(
                "pack into a folder of notes", pack(root + "/datasets/digits", path("notes")), status: 1, ["--output is not empty"],
                unchanged: [path("notes")]),
            FieldCase(
                "pack onto a file", pack(root + "/datasets/digits", path("plain-file")), status: 1, ["is a file"], unchanged: [path("plain-file")]),
            FieldCase(
                "pack another input over a pack", pack(root + "/datasets/digits.csv", packed), status: 1, ["holds a pack of", "not of"],
                unchanged: [packed]),
            FieldCase("pack the same input again", pack(root + "/datasets/digits", path("repack")), status: 0, ["1797 samples"]),
            FieldCase(
                "cache dir is the packed folder", packedTrain(packed, ["--cache-dir", packed], run: "c1"), status: 1,
                ["is the data source's folder"], unchanged: [packed]),
            FieldCase(
                "cache dir inside the packed folder", packedTrain(packed, ["--cache-dir", packed + "/cache"], run: "c2"), status: 1,
                ["lies inside the data source's folder"], unchanged: [packed]),
            FieldCase(
                "cache dir around the packed folder", packedTrain(packed, ["--cache-dir", path("")], run: "c3"), status: 1,
                ["contains the data source's folder"], unchanged: [packed]),
            FieldCase(
                "cache dir through a link to the packed folder", packedTrain(packed, ["--cache-dir", path("packed-link")], run: "c4"), status: 1,
                ["is the data source's folder"], unchanged: [packed]),
            FieldCase(
                "data through a link, cache in the real folder", packedTrain(path("packed-link"), ["--cache-dir", packed + "/x"], run: "c5"),
                status: 1, ["lies inside"], unchanged: [packed]),
            FieldCase(
                "cache dir holds the user's file with a shard's name", packedTrain(packed, ["--cache-dir", path("user-cache")], run: "c6"),
                status: 1, ["did not write", "shard-00001.mrshard"], unchanged: [path("user-cache"), packed]),
            FieldCase(
                "validation_split on packed data", train(packed, ["--cache-budget", "1MB"], run: "c7"), status: 1,
                ["validation_split 0.2 is not supported for packed data", "--validation"], unchanged: [packed]),
            FieldCase(
                "a cache beside other files keeps them", packedTrain(packed, ["--cache-dir", path("notes")], run: "c8"), status: 0, [],
                unchanged: [packed, path("notes/readme.txt")]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    func testManifestsThatLieAboutTheirShards() throws {
        let shards = { (manifest: [String: Any]) in manifest["shards"] as? [[String: Any]] ?? [] }
        let rows = [
            ("format_version 3", try editedPack("v3") { $0["format_version"] = 3 }, ["format_version 3 is not supported"]),
            (
                "format_version 2 of PNG samples", try editedPack("v2") { $0["format_version"] = 2 },
                ["format_version 2 is for uint8 packs, but sample_format is png"]
            ),
            ("no shards", try editedPack("empty") { $0["shards"] = [Any]() }, ["lists no shards"]),
            (
                "10^12 samples in a shard",
                try editedPack("trillion") { manifest in
                    var list = shards(manifest)
                    list[0]["samples"] = 1_000_000_000_000
                    manifest["shards"] = list
                }, ["claims 1000000000000 samples, more than its"]
            ),
            (
                "10^12 samples over huge shards",
                try editedPack("trillion-bytes") { manifest in
                    var list = shards(manifest)
                    list[0]["samples"] = 1_000_000_000_000
                    list[0]["bytes"] = 17_000_000_000_000
                    manifest["shards"] = list
                }, ["claims 1000000001", "more than 68719476736"]
            ),
            (
                "a manifest over 64 MiB",
                try editedPack("padded") { manifest in
                    manifest["padding"] = String(repeating: " ", count: 65 << 20)
                }, ["exceeds the limit of 67108864 bytes"]
            ),
            (
                "sample count differs from the shard's index",
                try editedPack("miscounted") { manifest in
                    var list = shards(manifest)
                    list[0]["samples"] = (list[0]["samples"] as? Int ?? 2) - 1
                    manifest["shards"] = list
                }, ["the manifest says", "shard-00000.mrshard"]
            ),
            ("sample_shape of 2^40 elements", try editedPack("shape") { $0["sample_shape"] = [1, 1 << 20, 1 << 20] }, ["sample_shape"]),
        ]
        for (name, folder, fragments) in rows {
            XCTAssertEqual(try FieldCase(name, packedTrain(folder, run: name), status: 1, fragments, unchanged: [folder]).problems(), [])
        }
    }

    func testHostileServersEndWithTheStallTimeout() throws {
        // Every shard misbehaves, on a server of each row's own.
        let names = try FileManager.default.contentsOfDirectory(atPath: path("packed")).filter { $0.hasSuffix(".mrshard") }
        let stalling = try LoopbackHTTPServer(directory: path("packed"))
        let endless = try LoopbackHTTPServer(directory: path("packed"))
        defer {
            stalling.stop()
            endless.stop()
        }
        for name in names {
            stalling.inject(Array(repeating: .stall(afterBytes: 10), count: 5), for: name)
            endless.inject([.endless(chunked: false)], for: name)
        }
        let manifest = stalling.url("manifest.json").absoluteString
        let rows = [
            FieldCase(
                "stalled server", packedTrain(manifest, ["--stall-timeout", "1", "--cache-dir", path("http-cache")], run: "h1"), status: 1,
                ["no data received for 1 s (stall timeout)", "after 5 attempts"]),
            FieldCase(
                "endless body",
                packedTrain(endless.url("manifest.json").absoluteString, ["--stall-timeout", "1", "--cache-dir", path("http-cache2")], run: "h2"),
                status: 1,
                ["more than the"]),
            FieldCase("stall timeout zero", packedTrain(manifest, ["--stall-timeout", "0"], run: "h3"), status: 1, ["stall-timeout"]),
            FieldCase("stall timeout text", packedTrain(manifest, ["--stall-timeout", "soon"], run: "h4"), status: 1, ["stall-timeout"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    func testSpecialFilesAndHostileCSVFiles() throws {
        XCTAssertEqual(mkfifo(path("pipe.csv"), 0o644), 0)
        try FileManager.default.createDirectory(atPath: path("folder.csv"), withIntermediateDirectories: true)
        try write("a,label\n1,0\n\"open,1\n2,1\n", to: "open-quote.csv")
        let field = String(repeating: "7", count: (64 << 20) + 10)
        try write("a,label\n1,0\n" + field + ",1\n", to: "huge-field.csv")
        try write("a,label\n1,0\n" + String(repeating: "1,", count: (40 << 20)) + "1\n", to: "huge-row.csv")
        let csv = { (data: String, run: String) in
            ["train", "pipelines/digits-csv.json", "--data", data, "--epochs", "1", "--run-dir", self.path("runs/\(run)")]
        }
        let rows = [
            FieldCase("CSV from /dev/zero", csv("/dev/zero", "z"), status: 1, ["/dev/zero", "a character device"]),
            FieldCase("CSV from a FIFO", csv(path("pipe.csv"), "f"), status: 1, ["pipe.csv", "a FIFO (named pipe)"]),
            FieldCase("CSV path that is a folder", csv(path("folder.csv"), "d"), status: 1, ["folder.csv"]),
            FieldCase("quote never closed", csv(path("open-quote.csv"), "q"), status: 1, ["open-quote.csv:3:1", "never closed"]),
            FieldCase("a 64 MiB field", csv(path("huge-field.csv"), "h"), status: 1, ["huge-field.csv:3:1", "field longer than 67108864 bytes"]),
            FieldCase("an 80 MiB row", csv(path("huge-row.csv"), "r"), status: 1, ["huge-row.csv:3", "row longer than 67108864 bytes"]),
            FieldCase("pack /dev/zero", ["pack", "/dev/zero", "--output", path("pz")], status: 1, ["a character device"]),
            FieldCase("pack a FIFO", ["pack", path("pipe.csv"), "--output", path("pf")], status: 1, ["a FIFO (named pipe)"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }

    func testTheDirectoryWalkSkipsSpecialFilesAndLinkCycles() throws {
        let fifo = try smallFolder("fifo")
        XCTAssertEqual(mkfifo(fifo + "/0/waiting.png", 0o644), 0)
        let cycle = try smallFolder("cycle")
        try FileManager.default.createSymbolicLink(atPath: cycle + "/0/loop", withDestinationPath: cycle)
        try FileManager.default.createSymbolicLink(atPath: cycle + "/1/self", withDestinationPath: cycle + "/1")
        let crossed = try smallFolder("crossed")
        try FileManager.default.createSymbolicLink(atPath: crossed + "/1/zeros", withDestinationPath: crossed + "/0")
        let twin = try smallFolder("twin")
        try FileManager.default.createSymbolicLink(atPath: twin + "/2", withDestinationPath: twin + "/0")
        var level = try smallFolder("deep") + "/0"
        // Two links to the next level at each of 30 levels: 2^30 paths if links were followed twice.
        for number in 0..<30 {
            let next = path("levels/d\(number)")
            try FileManager.default.createDirectory(atPath: next, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: level + "/a\(number)", withDestinationPath: next)
            try FileManager.default.createSymbolicLink(atPath: level + "/b\(number)", withDestinationPath: next)
            level = next
        }
        let rows = [
            FieldCase("a FIFO among the images", train(fifo, run: "w1"), status: 0, ["a FIFO (named pipe), not a regular file", "waiting.png"]),
            FieldCase("a link cycle to the root", train(cycle, run: "w2"), status: 0, ["symbolic link cycle", "0/loop", "1/self"]),
            FieldCase("a link into another class", train(crossed, run: "w3"), status: 0, ["(the class folder '0')"]),
            FieldCase("a class folder that is another's link", train(twin, run: "w4"), status: 1, ["is the same folder as class '0'"]),
            FieldCase("links doubling at every level", ["inspect", path("deep"), "--json"], status: 0, ["symbolic link cycle"]),
            FieldCase("inspect names the FIFO", ["inspect", fifo, "--json"], status: 0, ["FIFO"]),
            FieldCase("pack skips the FIFO", ["pack", fifo, "--output", path("fifo-packed"), "--channels", "gray"], status: 0, ["24 samples"]),
        ]
        for row in rows { XCTAssertEqual(try row.problems(), []) }
    }
}
