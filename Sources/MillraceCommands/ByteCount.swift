import ArgumentParser

/// Byte counts as the command line writes them: a whole or decimal number with an optional unit
/// `b`, `kb`, `mb`, `gb`, `tb` (powers of 1024, any case; `k`, `m`, `g`, `t` too), such as
/// `1000000`, `512KB`, `1.5GB`. Not-a-number, infinity, signs, zero, other units and counts
/// beyond 64 bits are refused.
enum ByteCount {
    /// The units and their factors, longest names first.
    private static let units: [(String, Int)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("tb", 1 << 40),
        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1),
    ]

    /// The bytes of an optional option such as `--memory-limit`, or a `ValidationError` naming it.
    static func option(_ name: String, _ text: String?) throws -> Int? {
        guard let text else { return nil }
        switch bytes(in: text) {
        case .success(let bytes): return bytes
        case .failure(let error): throw ValidationError("\(name): \(error); use bytes or a size such as 512MB")
        }
    }

    /// The number of bytes, or a sentence saying why `text` is not a byte count.
    static func bytes(in text: String) -> Result<Int, ByteCountError> {
        let lower = text.lowercased().filter { $0 != " " }
        let digitsEnd = lower.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? lower.endIndex
        let number = lower[..<digitsEnd]
        let unit = String(lower[digitsEnd...])
        guard !number.isEmpty else {
            return .failure(ByteCountError("'\(text)' is not a byte count (a number of bytes, with a unit or without)"))
        }
        let factor: Int
        if unit.isEmpty {
            factor = 1
        } else if let match = units.first(where: { $0.0 == unit }) {
            factor = match.1
        } else {
            return .failure(ByteCountError("'\(text)' has an unknown unit '\(unit)'"))
        }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty || parts.count == 2,
            parts.count == 1 || !parts[1].isEmpty || !whole.isEmpty
        else {
            return .failure(ByteCountError("'\(text)' is not a byte count"))
        }
        guard let wholeValue = whole.isEmpty ? 0 : Int(whole) else {
            return .failure(ByteCountError("'\(text)' does not fit in 64 bits"))
        }
        let (scaled, overflow) = wholeValue.multipliedReportingOverflow(by: factor)
        guard !overflow else { return .failure(ByteCountError("'\(text)' does not fit in 64 bits")) }
        var bytes = scaled
        if parts.count == 2, let fraction = Double("0." + parts[1]) {
            let (sum, sumOverflow) = bytes.addingReportingOverflow(Int(fraction * Double(factor)))
            guard !sumOverflow else { return .failure(ByteCountError("'\(text)' does not fit in 64 bits")) }
            bytes = sum
        }
        guard bytes > 0 else { return .failure(ByteCountError("'\(text)' is zero bytes")) }
        return .success(bytes)
    }
}

/// Why a command-line value is not a byte count.
struct ByteCountError: Error, CustomStringConvertible {
    /// The sentence.
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
