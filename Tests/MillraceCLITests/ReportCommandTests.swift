import Foundation
import TestSupport
import XCTest

/// What a user sees: `--json` is the only thing on standard output, pipeline files work from any
/// folder, and every run leaves a self-contained HTML report.
final class ReportCommandTests: XCTestCase {
    private let millrace = BuiltProducts.executable("millrace")
    private var directory: TemporaryDirectory!
    private var previousFolder = ""

    private let root = Fixtures.repositoryRoot.path

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        previousFolder = FileManager.default.currentDirectoryPath
    }

    override func tearDown() {
        _ = FileManager.default.changeCurrentDirectoryPath(previousFolder)
    }

    /// Parses `text` as exactly one JSON object (whitespace around it allowed, nothing else).
    private func oneObject(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], text)
    }

    func testTrainJSONIsTheOnlyOutputWhileProgressGoesToStandardError() throws {
        let result = try BuiltProducts.run(
            millrace, ["train", root + "/pipelines/digits-mlp.json", "--epochs", "2", "--run-dir", directory.path("run").path, "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertEqual(result.output.filter { $0 == "\n" }.count, 1, result.output)
        let summary = try oneObject(result.output)
        XCTAssertEqual(summary["epochs"] as? Int, 2)
        XCTAssertEqual(summary["report"] as? String, directory.path("run").path + "/report.html")
        XCTAssertTrue(result.errors.contains("epoch 1/2"), result.errors)
        XCTAssertTrue(result.errors.contains("report: " + directory.path("run").path + "/report.html"), result.errors)
        // --verbose adds a line per logged step, still on standard error only.
        let verbose = try BuiltProducts.run(
            millrace, ["train", root + "/pipelines/xor-seed.json", "--epochs", "60", "--run-dir", directory.path("xor").path, "--json", "--verbose"])
        XCTAssertEqual(verbose.status, 0, verbose.errors)
        XCTAssertEqual(try oneObject(verbose.output)["epochs"] as? Int, 60)
        XCTAssertTrue(verbose.errors.contains("step    0  loss 1.599136"), verbose.errors)
    }

    func testAShippedPipelineTrainsFromAnotherFolderAndWritesUnderThatFolder() throws {
        let elsewhere = directory.path("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(elsewhere.path))
        let result = try BuiltProducts.run(millrace, ["train", root + "/pipelines/digits-csv.json", "--epochs", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        XCTAssertGreaterThan(try oneObject(result.output)["final_validation_accuracy"] as? Double ?? 0, 0.5)
        // The default run directory is runs/<name> under the current folder.
        for file in ["metrics.jsonl", "configuration.json", "report.html", "checkpoints/latest"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: elsewhere.path + "/runs/digits-csv/" + file), file)
        }
        // The saved configuration names the data by its resolved, absolute path.
        let saved = try oneObject(String(contentsOfFile: elsewhere.path + "/runs/digits-csv/configuration.json", encoding: .utf8))
        XCTAssertEqual((saved["dataset"] as? [String: Any])?["path"] as? String, root + "/datasets/digits.csv")
    }

    func testTheReportHasEverySectionWellFormedSVGAndReevaluatesTheSplitExactly() throws {
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(
            millrace, ["train", root + "/pipelines/digits-mlp.json", "--epochs", "3", "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let summary = try oneObject(trained.output)
        let output = directory.path("page.html").path
        let result = try BuiltProducts.run(millrace, ["report", run, "--output", output, "--json"])
        XCTAssertEqual(result.status, 0, result.errors)
        let report = try oneObject(result.output)
        // The held-out 20% rebuilt from the saved configuration gives the accuracy the validation
        // callback measured during training, to the last bit.
        XCTAssertEqual(report["validation_accuracy"] as? Double, summary["best_validation_accuracy"] as? Double)
        let page = try String(contentsOfFile: output, encoding: .utf8)
        for section in ["summary", "curves", "evaluation", "checkpoints", "configuration"] {
            XCTAssertTrue(page.contains("<section id=\"\(section)\">"), section)
        }
        for title in ["Loss", "Accuracy", "Learning rate", "Throughput", "Data-wait share", "Confusion matrix"] {
            XCTAssertTrue(page.contains("aria-label=\"\(title)\""), title)
        }
        XCTAssertTrue(page.contains("@media print"))
        // Self-contained: no scripts, nothing loaded from anywhere (the SVG namespace is a name, not a fetch).
        for forbidden in ["<script", "src=", "href=", "@import", "url("] { XCTAssertFalse(page.contains(forbidden), forbidden) }
        XCTAssertEqual(page.components(separatedBy: "http").count - 1, page.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
        // Every inline <svg> parses as XML with Python's xml.etree (an independent parser).
        let check = directory.path("check.py").path
        try """
        import re, sys, xml.etree.ElementTree as ET
        page = open(sys.argv[1], encoding="utf-8").read()
        svgs = re.findall(r"<svg\\b.*?</svg>", page, re.S)
        for svg in svgs:
            ET.fromstring(svg)
        print(len(svgs))
        """.write(toFile: check, atomically: true, encoding: .utf8)
        let python = PythonInterpreter.command
        let parsed = try BuiltProducts.run(python.executable, python.arguments + [check, output])
        XCTAssertEqual(parsed.status, 0, parsed.errors)
        XCTAssertEqual(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines), "6")  // five charts and the confusion matrix
        // The report train wrote itself is the same page.
        XCTAssertEqual(try String(contentsOfFile: run + "/report.html", encoding: .utf8), page)
    }

    func testInspectAndEvaluatePrintAlignedTables() throws {
        let inspected = try BuiltProducts.run(millrace, ["inspect", root + "/datasets/digits"])
        XCTAssertEqual(inspected.status, 0, inspected.errors)
        let lines = inspected.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.firstIndex(of: "name  count"), inspected.output)
        XCTAssertEqual(lines[header + 1], "----  -----")
        // The digits' class counts, from `ls datasets/digits/N | wc -l`.
        XCTAssertEqual(
            Array(lines[(header + 2)..<(header + 12)]),
            [
                "   0    178", "   1    182", "   2    177", "   3    183", "   4    181", "   5    182", "   6    181", "   7    179", "   8    174",
                "   9    180",
            ])
        XCTAssertTrue(inspected.output.contains("8x8    1797"), inspected.output)
        XCTAssertTrue(inspected.output.contains("bad files: none"), inspected.output)
        let run = directory.path("run").path
        let trained = try BuiltProducts.run(
            millrace, ["train", root + "/pipelines/digits-mlp.json", "--epochs", "1", "--run-dir", run, "--json", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.errors)
        let evaluated = try BuiltProducts.run(millrace, ["evaluate", run + "/checkpoints", "--data", root + "/datasets/digits"])
        XCTAssertEqual(evaluated.status, 0, evaluated.errors)
        let table = evaluated.output.split(separator: "\n").map(String.init)
        let start = try XCTUnwrap(table.firstIndex { $0.hasPrefix("class") }, evaluated.output)
        let rows = Array(table[start..<(start + 12)])  // header, rule, ten classes
        XCTAssertEqual(Set(rows.map(\.count)).count, 1, rows.joined(separator: "\n"))
        XCTAssertTrue(rows[0].hasSuffix("precision  recall"), rows[0])
    }
}
