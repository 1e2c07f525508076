import Foundation
import Training
import XCTest

/// A section declared only with `@Setting` properties, as a new one would be.
private struct Limits: KeyedSettings, Equatable {
    @Setting("max_batches", .atLeast(1)) var maxBatches: Int? = nil
    @Setting("rate", .within(0..<1)) var rate: Float? = nil
    @Setting("label") var label = "none"
    @Setting("nested") var nested: Inner? = nil
    @Setting("entries") var entries: [Inner]? = nil

    struct Inner: KeyedSettings, Equatable {
        @Setting("count", .atLeast(0)) var count = 0
    }
}

/// The one mechanism behind every pipeline-file key (`@Setting` in a `KeyedSettings` type),
/// checked on a section of its own against texts and messages written out by hand.
final class ConfigurationSettingTests: XCTestCase {
    private func decode(_ text: String) throws -> Limits {
        try JSONDecoder().decode(Limits.self, from: Data(text.utf8))
    }

    private func specificationError(_ text: String) -> SpecificationError? {
        do {
            try decode(text).validate()
            return nil
        } catch let error as SpecificationError {
            return error
        } catch {
            XCTFail("\(error)")
            return nil
        }
    }

    /// The description of the error decoding `text` throws (`key 'k': reason; fix`).
    private func decodingError(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testTheKeysAreTheSettingsInDeclarationOrder() {
        XCTAssertEqual(Limits.settingKeys, ["max_batches", "rate", "label", "nested", "entries"])
        XCTAssertEqual(Limits.Inner.settingKeys, ["count"])
    }

    func testDecodingFillsTheSettingsAndLeavesAbsentOptionalsAtTheirInitialValue() throws {
        let limits = try decode(#"{"max_batches": 3, "label": "l", "entries": [{"count": 1}, {"count": 2}]}"#)
        XCTAssertEqual(limits.maxBatches, 3)
        XCTAssertNil(limits.rate)
        XCTAssertEqual(limits.label, "l")
        XCTAssertNil(limits.nested)
        XCTAssertEqual(limits.entries?.map(\.count), [1, 2])
    }

    func testARequiredKeyIsOneWhoseTypeIsNotOptional() {
        XCTAssertThrowsError(try decode(#"{"max_batches": 3}"#)) { error in
            guard case DecodingError.keyNotFound(let key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key.stringValue, "label")
        }
        XCTAssertThrowsError(try decode(#"{"label": "l", "nested": {}}"#)) { error in
            guard case DecodingError.keyNotFound(let key, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key.stringValue, "count")
            XCTAssertEqual(context.codingPath.map(\.stringValue), ["nested"])
        }
    }

    func testEncodingWritesTheKeysThatHaveValuesAndDecodesBack() throws {
        var limits = Limits()
        limits.maxBatches = 2
        limits.nested = Limits.Inner()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(limits), as: UTF8.self)
        XCTAssertEqual(text, #"{"label":"none","max_batches":2,"nested":{"count":0}}"#)
        XCTAssertEqual(try decode(text), limits)
    }

    func testCopiesAreIndependentValues() {
        var first = Limits()
        first.maxBatches = 1
        var second = first
        second.maxBatches = 2
        second.label = "second"
        XCTAssertEqual(first.maxBatches, 1)
        XCTAssertEqual(first.label, "none")
        XCTAssertEqual(second.maxBatches, 2)
        XCTAssertNotEqual(first, second)
        second.maxBatches = 1
        second.label = "none"
        XCTAssertEqual(first, second)
    }

    func testAnUnknownKeyIsAnErrorListingTheSettings() {
        let error = decodingError(#"{"label": "l", "max_batch": 3}"#)
        XCTAssertEqual(error, "key 'max_batch': unknown key; use one of: entries, label, max_batches, nested, rate")
        let nested = decodingError(#"{"label": "l", "entries": [{"count": 1}, {"cont": 1}]}"#)
        XCTAssertEqual(nested, "key 'entries[1].cont': unknown key; use one of: count")
    }

    func testAMisfitNumberNamesItsKey() {
        let error = decodingError(#"{"label": "l", "entries": [{"count": 1.5}]}"#)
        XCTAssertEqual(error, "key 'entries[0].count': 1.5 does not fit: expected an integer; give an integer")
        let optional = decodingError(#"{"label": "l", "max_batches": 2.5}"#)
        XCTAssertEqual(optional, "key 'max_batches': 2.5 does not fit: expected an integer; give an integer")
    }

    func testRulesAreCheckedInDeclarationOrderThenNestedSettingsWithTheirPaths() {
        XCTAssertNil(specificationError(#"{"label": "l", "max_batches": 1, "rate": 0}"#))
        XCTAssertEqual(
            specificationError(#"{"label": "l", "max_batches": 0, "rate": 1}"#),
            SpecificationError(key: "max_batches", reason: "0 is not allowed: it must be 1 or more", fix: "use 1 or more"))
        XCTAssertEqual(
            specificationError(#"{"label": "l", "rate": 1, "nested": {"count": -1}}"#),
            SpecificationError(key: "rate", reason: "1.0 is not allowed: it must be a number in [0, 1)", fix: "use a number in [0, 1)"))
        XCTAssertEqual(
            specificationError(#"{"label": "l", "entries": [{"count": 0}, {"count": -2}]}"#),
            SpecificationError(key: "entries[1].count", reason: "-2 is not allowed: it must be 0 or more", fix: "use 0 or more"))
        XCTAssertEqual(
            specificationError(#"{"label": "l", "nested": {"count": -1}}"#)?.key, "nested.count")
    }

    func testRangeRulesDescribeThemselves() throws {
        let cases: [(SettingRule<Float>, Float, String)] = [
            (.atLeast(0), -1, "-1.0 is not allowed: it must be 0 or more"),
            (.atLeast(0), .infinity, "inf is not allowed: it must be 0 or more"),
            (.positive(), 0, "0.0 is not allowed: it must be a positive number"),
            (.positive("a positive finite number"), .nan, "nan is not allowed: it must be a positive finite number"),
            (.within(0...1), 1.5, "1.5 is not allowed: it must be a number in [0, 1]"),
            (.within(0..<1), 1, "1.0 is not allowed: it must be a number in [0, 1)"),
            (.within(0.5...2.5), 3, "3.0 is not allowed: it must be a number in [0.5, 2.5]"),
        ]
        for (rule, value, reason) in cases {
            XCTAssertThrowsError(try rule.check(value, "k")) { error in
                XCTAssertEqual((error as? SpecificationError)?.reason, reason)
            }
        }
        XCTAssertNoThrow(try SettingRule<Float>.within(0...1).check(1, "k"))
        XCTAssertNoThrow(try SettingRule<Int>.atLeast(0, "0 (the whole set) or more").check(0, "k"))
        XCTAssertThrowsError(try SettingRule<Int>.atLeast(0, "0 (the whole set) or more").check(-1, "batch_size")) { error in
            XCTAssertEqual(
                error as? SpecificationError,
                SpecificationError(
                    key: "batch_size", reason: "-1 is not allowed: it must be 0 (the whole set) or more", fix: "use 0 (the whole set) or more"))
        }
    }

    func testBuiltInSectionsListTheirKeys() {
        XCTAssertEqual(
            RunConfiguration.settingKeys,
            [
                "name", "dataset", "pipeline", "model", "loss", "label_smoothing", "optimizer", "schedule", "epochs", "seed", "checkpoint", "logging",
                "early_stopping",
            ])
        XCTAssertEqual(RunConfiguration.EarlyStopping.settingKeys, ["metric", "patience", "min_delta"])
        XCTAssertEqual(
            RunConfiguration.Pipeline.settingKeys,
            [
                "batch_size", "shuffle", "order", "window_pages", "threads", "prefetch", "window_chunks", "augmentations", "skip_bad_fraction",
            ])
        XCTAssertEqual(Conv2DSpecification.settingKeys, ["filters", "kernel", "stride", "padding", "initializer", "bias"])
        XCTAssertEqual(AdamSpecification.settingKeys, ["beta1", "beta2", "epsilon"])
    }
}
