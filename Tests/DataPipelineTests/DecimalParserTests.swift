import Foundation
import XCTest

@testable import DataPipeline
@testable import TabularFormats

/// The float parser against glibc's `strtof`, the reference the CSV loader promises to match.
final class DecimalParserTests: XCTestCase {
    /// strtof on the text without trailing blanks (fields may pad numbers with blanks on both
    /// sides; strtof itself skips only the leading ones).
    private func reference(_ text: String) -> Float? {
        var text = text
        while text.hasSuffix(" ") || text.hasSuffix("\t") { text.removeLast() }
        return text.withCString { pointer in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(pointer, &end)
            return end == UnsafeMutablePointer(mutating: pointer) + text.utf8.count && !text.isEmpty ? value : nil
        }
    }

    private func parsed(_ text: String) -> ParsedNumber {
        var bytes = Array(text.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { DecimalParser.parse($0.baseAddress!, $0.baseAddress! + $0.count - 1) }
    }

    /// The fast path on the text alone (digits read one at a time near the end of the bytes) and
    /// on the text inside a row (`text,` and sixteen more bytes: eight digits read at a time);
    /// both must agree, the second stopping at the separator.
    private func fast(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Float? {
        func prefix(_ bytes: [UInt8], stop: Int) -> Float? {
            bytes.withUnsafeBufferPointer { b -> Float? in
                guard let (value, next) = DecimalParser.prefix(b.baseAddress!, b.baseAddress! + b.count),
                    next == b.baseAddress! + stop
                else { return nil }
                return value
            }
        }
        let alone = prefix(Array(text.utf8), stop: text.utf8.count)
        let inRow = prefix(Array(text.utf8) + Array(",12345678,9876543".utf8), stop: text.utf8.count)
        XCTAssertEqual(alone?.bitPattern, inRow?.bitPattern, "'\(text)' alone and inside a row", file: file, line: line)
        return alone
    }

    private func assertMatchesStrtof(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = reference(text)
        switch parsed(text) {
        case .value(let value), .nonFinite(let value):
            guard let expected else { return XCTFail("'\(text)': parsed \(value) but strtof rejects it", file: file, line: line) }
            XCTAssertTrue(
                value.bitPattern == expected.bitPattern || (value.isNaN && expected.isNaN),
                "'\(text)': \(value) (\(value.bitPattern)) vs strtof \(expected) (\(expected.bitPattern))", file: file, line: line)
        case .invalid, .empty:
            XCTAssertNil(expected, "'\(text)': rejected but strtof gives \(expected ?? 0)", file: file, line: line)
        }
        if let value = fast(text, file: file, line: line), let expected {
            XCTAssertEqual(value.bitPattern, expected.bitPattern, "fast path '\(text)'", file: file, line: line)
        }
    }

    func testHandPickedForms() {
        for text in [
            "0", "-0", "+1", "1.5", "-1.5e3", ".5", "5.", "1e-5", "1E+5", "3.4028235e38", "3.4028236e38", "1e39", "-1e39",
            "1.17549435e-38", "1.4e-45", "7e-46", "1e-50", "0.000000000000000000000000000001", "123456789012345678901234567890",
            "0.1", "0.2", "0.3", "16777217", "16777219", "33554435", "1.00000005960464477539062500000000001",
            "1.000000059604644775390625", "nan", "NaN", "-inf", "Infinity",
            "", ".", "-", "e5", "1e", "1e+", "1.2.3", "1,5", "abc", "--1", "+-1", "1 ", " 1", "0012", "00.0012",
        ] {
            assertMatchesStrtof(text)
        }
    }

    /// Python's `float()` verdicts, printed by this script (`/work/venv-bench/bin/python`,
    /// CPython 3.11), each value then rounded to float32:
    ///
    ///     import math, struct
    ///     for c in cases:
    ///         try: v = float(c)
    ///         except ValueError: print(c, "nil"); continue
    ///         if math.isnan(v): print(c, ".nan")
    ///         elif abs(v) >= 3.4028235677973366e38: print(c, math.copysign(math.inf, v))
    ///         else: print(c, struct.unpack("<f", struct.pack("<f", v))[0])
    ///
    /// `float("1_000")` is 1000.0 (PEP 515 underscores): the one deliberate difference, as
    /// pandas' CSV reader does not take it either; it is checked as rejected below.
    private static let pythonFloat: [(text: String, value: Float?)] = [
        ("0x10", nil), ("0X1p3", nil), ("-0x1.8p-1", nil), ("nan", .nan), ("NaN", .nan), ("-nan", .nan), ("+NAN", .nan),
        ("inf", .infinity), ("-Inf", -.infinity), ("+INF", .infinity), ("infinity", .infinity), ("-Infinity", -.infinity),
        ("INFINITY", .infinity), ("infinit", nil), ("infinityy", nil), ("nan(1)", nil), ("nan()", nil), ("in", nil),
        ("1e", nil), ("1e+", nil), ("e5", nil), (".", nil), ("-", nil), ("+-1", nil), ("--1", nil), ("1.2.3", nil), ("1,5", nil),
        (".5", 0.5), ("5.", 5.0), ("-.5e-3", -0.0005000000237487257), ("1.e5", 100000.0), ("+.5", 0.5), ("0e0", 0.0),
        ("00012", 12.0), ("1e5.5", nil), ("1 2", nil), (" 7 ", 7.0), ("\t8\t", 8.0), ("1d5", nil), ("1f", nil), ("0b1", nil),
        ("0o7", nil), ("1e0x1", nil), ("3.4028236e38", .infinity), ("1e39", .infinity), ("1e-50", 0.0),
        ("0.1", 0.10000000149011612), ("16777217", 16777216.0),
    ]

    func testNumbersAreWhatPythonFloatTakes() {
        for (text, expected) in Self.pythonFloat {
            let got: Float?
            switch parsed(text) {
            case .value(let value), .nonFinite(let value): got = value
            case .invalid, .empty: got = nil
            }
            switch (got, expected) {
            case (nil, nil): break
            case (let got?, let expected?):
                XCTAssertTrue(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN), "'\(text)': \(got) vs Python \(expected)")
            default:
                XCTFail("'\(text)': parsed \(String(describing: got)), Python float() gives \(String(describing: expected))")
            }
            if expected == nil { XCTAssertNil(fast(text), "fast path '\(text)'") }
        }
        XCTAssertEqual(parsed("1_000"), .invalid)
    }

    func testRandomDecimalsMatchStrtof() {
        var seed: UInt64 = 0x1234_5678
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        for _ in 0..<100_000 {
            let digits = 1 + Int(next() % 20)
            var text = next() % 2 == 0 ? "-" : ""
            let point = Int(next() % UInt64(digits + 1))
            for index in 0..<digits {
                if index == point && index > 0 { text += "." }
                text += String(next() % 10)
            }
            if next() % 3 == 0 { text += "e\(Int(next() % 90) - 45)" }
            assertMatchesStrtof(text)
        }
    }

    func testExactFloatMidpointsAndTheirNeighbours() {
        // The exact decimal value of the midpoint between a float and the next (a double, printed
        // with all its digits) must round to even; one unit in the last printed place either side
        // must round away from it. These are the inputs where a double-then-float conversion goes wrong.
        var seed: UInt64 = 99
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        for _ in 0..<5_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: next()) & 0x7F7F_FFFF)
            guard f.isNormal else { continue }
            let midpoint = (Double(f) + Double(f.nextUp)) / 2
            for text in [String(format: "%.60g", midpoint), String(format: "%.17g", midpoint), String(format: "%.9g", midpoint)] {
                assertMatchesStrtof(text)
            }
        }
    }

    func testSubnormalsAndExtremes() {
        for bits in stride(from: UInt32(1), to: 0x0080_0000, by: 0x1_2345) {
            let f = Float(bitPattern: bits)
            assertMatchesStrtof(String(format: "%.9g", f))
            assertMatchesStrtof(String(format: "%.12g", (Double(f) + Double(f.nextUp)) / 2))
        }
    }

    func testCsvStyleSixSignificantDigits() {
        // The benchmark data's "%.6g" form: every value must take the fast path and match strtof.
        var seed: UInt64 = 7
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        for _ in 0..<50_000 {
            let value = (Double(next() % 2_000_000) / 1_000_000 - 1) * pow(10, Double(Int(next() % 9) - 4))
            let text = String(format: "%.6g", value)
            assertMatchesStrtof(text)
            if reference(text) != 0 { XCTAssertNotNil(fast(text), "'\(text)' should take the fast path") }
        }
    }
}
