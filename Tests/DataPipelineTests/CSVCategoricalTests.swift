import DataPipeline
import Foundation
import SystemIO
import TabularFormats
import TestSupport
import XCTest

/// Categorical columns (categories in order of first appearance or given, one-hot with an
/// unknown category) and empty numeric fields filled by a policy, on a file small enough to work
/// out by hand.
final class CSVCategoricalTests: XCTestCase {
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    private func write(_ text: String, name: String = "data.csv") throws -> String {
        try directory.write(text, name: name)
    }

    /// Lines 2-5. `size` is empty on line 3; `city` is empty (the empty category) on line 4.
    private let table = "color,size,city,label\nred,1,paris,0\nblue,,rome,1\nred,3,,0\ngreen,4,paris,1\n"

    private func options(_ configure: (inout CSVOptions) -> Void = { _ in }) -> CSVOptions {
        var options = CSVOptions()
        options.categoricalColumns = [.name("color"), .name("city")]
        options.missingValues = .mean
        options.chunkBytes = 16  // several chunks: categories and sums cross chunk boundaries
        configure(&options)
        return options
    }

    private func rows(_ dataset: CSVDataset) throws -> [[Float]] {
        var rows: [[Float]] = []
        for index in 0..<dataset.chunkCount {
            let chunk = try dataset.loadChunk(at: index)
            let width = dataset.featureNames.count
            for row in 0..<chunk.count { rows.append(Array(chunk.features.scalars[(row * width)..<((row + 1) * width)])) }
        }
        return rows
    }

    /// Every row counted: colors red, blue, green; cities paris, rome and the empty one; the mean
    /// size (1 + 3 + 4) / 3 fills line 3.
    func testOneHotBlocksAndTheMeanOfEveryRow() throws {
        let dataset = try CSVDataset(path: try write(table), options: options())
        XCTAssertEqual(
            dataset.categories,
            [
                CSVCategories(column: "color", values: ["red", "blue", "green"]), CSVCategories(column: "city", values: ["paris", "rome", ""]),
            ])
        XCTAssertEqual(
            dataset.featureNames,
            ["color=red", "color=blue", "color=green", "color=(unknown)", "size", "city=paris", "city=rome", "city=", "city=(unknown)"])
        XCTAssertEqual(dataset.fillValues, [CSVFill(column: "size", value: Float(8.0 / 3.0))])
        XCTAssertEqual(
            try rows(dataset),
            [
                [1, 0, 0, 0, 1, 1, 0, 0, 0],
                [0, 1, 0, 0, Float(8.0 / 3.0), 0, 1, 0, 0],
                [1, 0, 0, 0, 3, 0, 0, 1, 0],
                [0, 0, 1, 0, 4, 1, 0, 0, 0],
            ])
    }

    /// Only rows 0, 1 and 3 counted (row 2, line 4, held out): its empty city is then unknown and
    /// its size 3 is not in the mean, (1 + 4) / 2 (row 1's size is missing).
    func testCategoriesAndMeanComeFromTheCountedRowsOnly() throws {
        let dataset = try CSVDataset(path: try write(table), options: options(), countingRows: { $0 != 2 })
        XCTAssertEqual(dataset.categories.map(\.values), [["red", "blue", "green"], ["paris", "rome"]])
        XCTAssertEqual(dataset.fillValues, [CSVFill(column: "size", value: 2.5)])
        XCTAssertEqual(
            try rows(dataset),
            [
                [1, 0, 0, 0, 1, 1, 0, 0],
                [0, 1, 0, 0, 2.5, 0, 1, 0],
                [1, 0, 0, 0, 3, 0, 0, 1],
                [0, 0, 1, 0, 4, 1, 0, 0],
            ])
    }

    /// Given categories and fill values (what a checkpoint holds) are used as they are: a value
    /// not among the categories is the unknown one, and the fill is not worked out again.
    func testGivenCategoriesAndFillsMapUnseenValuesToUnknown() throws {
        let path = try write("color,size,city,label\npurple,,paris,0\nred,2,oslo,1\n", name: "evaluation.csv")
        let dataset = try CSVDataset(
            path: path,
            options: options {
                $0.categories = [.name("color"): ["red", "blue", "green"], .name("city"): ["paris", "rome"]]
                $0.fillValues = [.name("size"): 2.5]
            })
        XCTAssertEqual(
            try rows(dataset),
            [
                [0, 0, 0, 1, 2.5, 1, 0, 0],
                [1, 0, 0, 0, 2, 0, 0, 1],
            ])
        XCTAssertEqual(dataset.fillValues, [CSVFill(column: "size", value: 2.5)])
    }

    func testZeroFillAndTheErrorPolicy() throws {
        let path = try write(table)
        let zero = try CSVDataset(path: path, options: options { $0.missingValues = .value(0) })
        XCTAssertEqual(try rows(zero)[1][4], 0)
        XCTAssertThrowsError(try CSVDataset(path: path, options: options { $0.missingValues = .error })) { error in
            let error = error as? DataError
            XCTAssertEqual(error?.kind, .emptyField)
            XCTAssertEqual([error?.line, error?.column], [3, 2])
            XCTAssertTrue(error?.description.contains("data.csv:3:2: empty field in numeric column 'size'") == true, "\(String(describing: error))")
            XCTAssertTrue(error?.fix.contains("dataset.missing \"mean\"") == true, "\(String(describing: error))")
            XCTAssertEqual(error?.byteOffset, 41, "line 3 starts at 22 + 14 = 36; 'blue,' is 5 bytes")
        }
    }

    /// The reader (the opening pass) reads an empty field under `.mean` as NaN and each category
    /// as its index; more categories than `maximumCategories` is an error naming the column and
    /// the line of the first one too many.
    func testReaderCodesAndTheCategoryLimit() throws {
        let path = try write(table)
        let result = try readAll(path) { $0 = self.options() }
        XCTAssertEqual(result.rows.map { $0[0] }, [0, 1, 0, 2])
        XCTAssertTrue(result.rows[1][1].isNaN)
        XCTAssertEqual(result.rows.map { $0[2] }, [0, 1, 2, 0])
        XCTAssertThrowsError(try readAll(path) { $0 = self.options { $0.maximumCategories = 2 } }) { error in
            let error = error as? DataError
            XCTAssertEqual(error?.kind, .tooLarge)
            XCTAssertEqual([error?.line, error?.column], [4, 3], "the empty city on line 4 is the third")
            XCTAssertTrue(error?.reason.contains("'city' has more than 2 different values") == true, "\(String(describing: error))")
        }
    }

    func testMeanOfAColumnWithNoValueIsAnError() throws {
        let path = try write("a,b,label\n1,,0\n2,,1\n")
        XCTAssertThrowsError(try CSVDataset(path: path, options: options { $0.categoricalColumns = [] })) { error in
            XCTAssertEqual((error as? DataError)?.column, 2)
            XCTAssertTrue((error as? DataError)?.reason.contains("column 'b' has no values") == true, "\(error)")
        }
    }

    /// A normalisation of the numeric feature columns is widened to the row: one-hot values and
    /// targets are left as they are; a list of another length is refused with both counts.
    func testNormalizationCoversTheNumericColumnsOnly() throws {
        let dataset = try CSVDataset(path: try write(table), options: options())
        let wide = try dataset.rowNormalization(ofNumericFeatures: Normalization(mean: [2], standardDeviation: [4]), targetCount: 0)
        XCTAssertEqual(wide.mean, [0, 0, 0, 0, 2, 0, 0, 0, 0])
        XCTAssertEqual(wide.standardDeviation, [1, 1, 1, 1, 4, 1, 1, 1, 1])
        let normalized = dataset.normalized(by: wide)
        XCTAssertEqual(try rows(normalized).map { $0[4] }, [-0.25, (Float(8.0 / 3.0) - 2) * 0.25, 0.25, 0.5])
        XCTAssertThrowsError(
            try dataset.rowNormalization(ofNumericFeatures: Normalization(mean: [1, 2], standardDeviation: [1, 1]), targetCount: 0)
        ) { error in
            XCTAssertTrue(
                (error as? DataError)?.reason.contains("gives 2 mean values, but the file has 1 numeric feature columns") == true, "\(error)")
        }
    }

    func testCategoricalColumnMustBeAFeature() throws {
        let path = try write(table)
        XCTAssertThrowsError(try CSVDataset(path: path, options: options { $0.categoricalColumns = [.name("label")] })) { error in
            XCTAssertTrue((error as? DataError)?.reason.contains("categorical column 'label' is not a feature column") == true, "\(error)")
        }
        XCTAssertThrowsError(try CSVDataset(path: path, options: options { $0.categories = [.name("size"): ["1"]] })) { error in
            XCTAssertTrue((error as? DataError)?.reason.contains("column 'size', which is not a categorical column") == true, "\(error)")
        }
    }
}
