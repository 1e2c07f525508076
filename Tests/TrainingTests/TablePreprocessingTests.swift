import DataPipeline
import Foundation
import TabularFormats
import TestSupport
import Training
import XCTest

/// `categorical_columns`, `categories` and `missing`: the keys are checked in one place, the
/// categories and mean fills come from the training rows of a split alone, and they travel in the
/// preprocessing a checkpoint saves.
final class TablePreprocessingTests: XCTestCase {
    private func configurationError(_ dataset: String) -> RunConfigurationError? {
        let text = """
            {"name": "t", "dataset": \(dataset), "pipeline": {"batch_size": 4}, "model": {"layers": [{"type": "dense"}]},
             "loss": "cross-entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1}, "epochs": 1, "seed": 1}
            """
        do {
            try RunConfiguration.decode(Data(text.utf8), path: "t.json").validate(path: "t.json")
            return nil
        } catch {
            return error
        }
    }

    func testKeysAreCheckedWithTheOthers() {
        let cases: [(String, String, String)] = [
            (
                #"{"kind": "csv", "path": "a.csv", "categorical_columns": ["label"], "label_column": "label"}"#, "dataset.categorical_columns",
                "'label' is the label column"
            ),
            (
                #"{"kind": "csv", "path": "a.csv", "categorical_columns": ["id"], "ignore_columns": ["id"]}"#, "dataset.categorical_columns",
                "left out of the features"
            ),
            (
                #"{"kind": "csv", "path": "a.csv", "categorical_columns": ["a"], "categories": {"b": ["x"]}}"#, "dataset.categories",
                "'b', which is not in categorical_columns"
            ),
            (
                #"{"kind": "csv", "path": "a.csv", "categorical_columns": ["a"], "categories": {"a": ["x", "x"]}}"#, "dataset.categories",
                "distinct categories"
            ),
            (#"{"kind": "image-folder", "path": "images", "missing": "mean"}"#, "dataset.missing", "applies to CSV files"),
            (#"{"kind": "csv", "path": "a.csv", "missing": "median"}"#, "dataset.missing", "unknown value 'median'"),
            (#"{"kind": "csv", "path": "a.csv", "categorical_columns": []}"#, "dataset.categorical_columns", "one or more distinct"),
        ]
        for (dataset, key, fragment) in cases {
            let error = configurationError(dataset)
            XCTAssertEqual(error?.key, key, dataset)
            XCTAssertTrue(error.map { "\($0.reason) \($0.fix)".contains(fragment) } == true, "\(fragment) in \(String(describing: error))")
        }
        XCTAssertNil(configurationError(#"{"kind": "csv", "path": "a.csv", "categorical_columns": ["a"], "missing": "zero"}"#))
    }

    /// 40 rows split by `RowSplit(fraction: 0.3, seed: 5)` (the split the run makes): the
    /// categories are the training rows' in order of first appearance, and a value only a
    /// held-out row has ("violet") is the unknown category when the held-out side is read; the
    /// fill is the mean of the training rows' sizes (every fifth size is empty), also on the held-out side.
    func testCategoriesAndMeanComeFromTheTrainingSideOfASplit() throws {
        let directory = try TemporaryDirectory()
        let split = RowSplit(fraction: 0.3, seed: 5)
        let colors = ["red", "blue", "green", "amber"]
        let violetRow = try XCTUnwrap((0..<40).first { split.isHeldOut(row: $0) && $0 > 3 })
        var text = "color,size,label\n"
        var expectedColors: [String] = []
        var sizes: [Double] = []
        for row in 0..<40 {
            let color = row == violetRow ? "violet" : colors[(row * 7) % 4]
            let size = row % 5 == 2 ? "" : "\(Double(row) / 4)"
            text += "\(color),\(size),\(row % 2)\n"
            guard !split.isHeldOut(row: row) else { continue }
            if !expectedColors.contains(color) { expectedColors.append(color) }
            if let value = Double(size) { sizes.append(value) }
        }
        let path = directory.path("rows.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var preprocessing = Preprocessing(labelColumn: "label")
        preprocessing.categoricalColumns = ["color"]
        preprocessing.missingValues = .mean
        var options = TrainingData.ReadOptions()
        options.seed = 5
        let data = try TrainingData.open(
            TrainingData.Location(kind: .csv, path: path, validationSplit: 0.3), preprocessing: preprocessing, options: options)
        let mean = Float(sizes.reduce(0, +) / Double(sizes.count))
        XCTAssertEqual(data.preprocessing.categories, [CSVCategories(column: "color", values: expectedColors)])
        XCTAssertEqual(data.preprocessing.fillValues, [CSVFill(column: "size", value: mean)])
        XCTAssertEqual(data.sampleShape, [expectedColors.count + 1 + 1])

        // The held-out side, in file order: violet is unknown, an empty size is the training mean.
        guard case .chunked(let validation) = try XCTUnwrap(data.validation) else { return XCTFail("a chunked validation side") }
        var rows: [[Float]] = []
        for index in 0..<validation.chunkCount {
            let chunk = try validation.loadChunk(at: index)
            let width = chunk.features.shape[1]
            for row in 0..<chunk.count { rows.append(Array(chunk.features.scalars[(row * width)..<((row + 1) * width)])) }
        }
        let heldOut = (0..<40).filter { split.isHeldOut(row: $0) }
        XCTAssertEqual(rows.count, heldOut.count)
        let unknown = expectedColors.count
        for (row, values) in zip(heldOut, rows) {
            let color = row == violetRow ? "violet" : colors[(row * 7) % 4]
            var expected = [Float](repeating: 0, count: expectedColors.count + 2)
            expected[expectedColors.firstIndex(of: color) ?? unknown] = 1
            expected[unknown + 1] = row % 5 == 2 ? mean : Float(Double(row) / 4)
            XCTAssertEqual(values, expected, "row \(row)")
        }
    }

    /// The preprocessing of a checkpoint's manifest decodes back with the categories and fills.
    func testTablePreprocessingRoundTripsThroughJSON() throws {
        var preprocessing = Preprocessing(labelColumn: "label")
        preprocessing.categoricalColumns = ["color"]
        preprocessing.categories = [CSVCategories(column: "color", values: ["red", "blue"])]
        preprocessing.missingValues = .mean
        preprocessing.fillValues = [CSVFill(column: "size", value: 2.5)]
        let decoded = try JSONDecoder().decode(Preprocessing.self, from: JSONEncoder().encode(preprocessing))
        XCTAssertEqual(decoded, preprocessing)
    }
}
