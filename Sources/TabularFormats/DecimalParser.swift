import DataPipeline
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outcome of parsing one numeric field.
enum ParsedNumber: Equatable {
    /// A finite value.
    case value(Float)
    /// NaN, an infinity, or a value too large for `Float`.
    case nonFinite(Float)
    /// The field is empty (or blank).
    case empty
    /// The field is not entirely a number.
    case invalid
}

/// Decimal text to `Float`, giving exactly what `strtof` gives (correct rounding, round half to
/// even) on every decimal input, but much faster on the common inputs. What is a number follows
/// Python's `float()`: decimals with an optional sign, point and exponent, and `nan`, `inf` and
/// `infinity` in any case with an optional sign; hex (`0x10`), `nan(...)` and other forms that
/// `strtof` takes but `float()` rejects are not numbers. (`float()` also takes digit-group
/// underscores such as `1_000` and non-ASCII digits; those are not numbers here either.)
///
/// Fast path (Clinger's): when the decimal significand has at most 19 digits, fits in 2^53 and
/// the decimal exponent is within ±22, `significand ×/÷ 10^|exponent|` is one IEEE operation on
/// exact doubles, so the double is the correctly rounded value of the decimal. Rounding that
/// double to `Float` equals rounding the decimal directly unless the double is exactly halfway
/// between two floats (rounding to nearest cannot cross a float midpoint, which is itself a
/// double, but it can land on one); `roundedToFloat` detects that from the bits. That case, longer
/// significands and larger exponents go to `strtof`, only after the text was checked to be a
/// plain decimal. A table-driven Eisel-Lemire step would cover long significands too;
/// CSV data rarely has them, and the fallback is exact.
enum DecimalParser {
    /// 10^0 ... 10^22, all exactly representable in a double; kept in immortal memory so the hot
    /// path reads it without array bounds checks or reference counting.
    nonisolated(unsafe) static let powersOfTen: UnsafePointer<Double> = {
        let table = UnsafeMutablePointer<Double>.allocate(capacity: 23)
        let values: [Double] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ]
        table.initialize(from: values, count: values.count)
        return UnsafePointer(table)
    }()

    /// `d` (finite, nonzero) rounded to `Float`, or nil when `d` lies exactly halfway between
    /// two floats (then the decimal's own rounding must decide) or outside the normal float range.
    /// For a normal float result, the 29 low bits of the double's significand are the bits
    /// rounded away; the double is a midpoint exactly when they are `1 << 28`.
    @inline(__always)
    static func roundedToFloat(_ d: Double) -> Float? {
        let magnitude = abs(d)
        guard magnitude >= 0x1p-126 && magnitude < 0x1.fffffep127 else { return nil }
        guard d.bitPattern & 0x1FFF_FFFF != 0x1000_0000 else { return nil }
        return Float(d)
    }

    /// Parses the whole of `[begin, end)`; blanks (space, tab) around the number are allowed.
    @inline(__always)
    static func parse(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> ParsedNumber {
        var p = begin
        var e = end
        while p < e && (p.pointee == 0x20 || p.pointee == 0x09) { p += 1 }
        while e > p && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        if p == e { return .empty }
        let start = p
        var negative = false
        if p.pointee == 0x2D {
            negative = true
            p += 1
        } else if p.pointee == 0x2B {
            p += 1
        }
        var significand: UInt64 = 0
        var digits = 0  // significant digits held in `significand`
        var exponent = 0
        var truncated = false
        var sawDigit = false
        while p < e {
            let d = p.pointee &- 0x30
            if d >= 10 { break }
            sawDigit = true
            if digits < 19 {
                significand = significand &* 10 &+ UInt64(d)
                if significand != 0 { digits += 1 }
            } else {
                exponent += 1
                if d != 0 { truncated = true }
            }
            p += 1
        }
        if p < e && p.pointee == 0x2E {
            p += 1
            while p < e {
                let d = p.pointee &- 0x30
                if d >= 10 { break }
                sawDigit = true
                if digits < 19 {
                    significand = significand &* 10 &+ UInt64(d)
                    exponent -= 1
                    if significand != 0 { digits += 1 }
                } else if d != 0 {
                    truncated = true
                }
                p += 1
            }
        }
        guard sawDigit else { return special(start, e) }
        if p < e && (p.pointee | 0x20) == 0x65 {  // e or E
            p += 1
            guard let (value, _) = scanExponent(&p, e) else { return .invalid }
            exponent += value
        }
        guard p == e else { return special(start, e) }
        if significand == 0 && !truncated { return .value(negative ? -0.0 : 0.0) }
        if !truncated && significand <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var d = Double(significand)
            d = exponent < 0 ? d / powersOfTen[-exponent] : d * powersOfTen[exponent]
            if let f = roundedToFloat(d) {
                return .value(negative ? -f : f)
            }
        }
        return slow(start, e)
    }

    /// Parses the longest number at `p` (blanks before and after allowed) and returns it with
    /// the position after it, or nil when the fast path cannot decide (no digits, NaN/infinity
    /// spellings, long significands, large exponents, float midpoints): the caller then takes
    /// the general path on the whole field.
    @inline(__always)
    static func prefix(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Float, next: UnsafePointer<UInt8>)? {
        var p = begin
        while p < end && (p.pointee == 0x20 || p.pointee == 0x09) { p += 1 }
        var negative = false
        if p < end && (p.pointee == 0x2D || p.pointee == 0x2B) {
            negative = p.pointee == 0x2D
            p += 1
        }
        var significand: UInt64 = 0
        var exponent = 0
        let digitsStart = p
        while p < end {
            let d = p.pointee &- 0x30
            if d >= 10 { break }
            significand = significand &* 10 &+ UInt64(d)
            p += 1
        }
        var digitCount = p - digitsStart
        if p < end && p.pointee == 0x2E {
            p += 1
            let fractionStart = p
            while p < end {
                let d = p.pointee &- 0x30
                if d >= 10 { break }
                significand = significand &* 10 &+ UInt64(d)
                p += 1
            }
            exponent = fractionStart - p
            digitCount += p - fractionStart
        }
        // Up to 19 digits cannot overflow 64 bits; leading zeros count, which only sends rare
        // inputs to the general path.
        guard digitCount > 0 && digitCount <= 19 else { return nil }
        if p < end && (p.pointee | 0x20) == 0x65 {
            p += 1
            // More than 3 exponent digits leave the fast path (the value is outside ±10^22 anyway).
            guard let (value, digits) = scanExponent(&p, end), digits <= 3 else { return nil }
            exponent += value
        }
        while p < end && (p.pointee == 0x20 || p.pointee == 0x09) { p += 1 }
        if significand == 0 { return (negative ? -0.0 : 0.0, p) }
        guard significand <= 1 << 53 && exponent >= -22 && exponent <= 22 else { return nil }
        var d = Double(significand)
        d = exponent < 0 ? d / powersOfTen[-exponent] : d * powersOfTen[exponent]
        guard let f = roundedToFloat(d) else { return nil }
        return (negative ? -f : f, p)
    }

    /// NaN / infinity spellings (any case, optional sign, as Python's `float()` takes them), or
    /// invalid.
    static func special(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> ParsedNumber {
        var p = begin
        var negative = false
        if p < end && (p.pointee == 0x2D || p.pointee == 0x2B) {
            negative = p.pointee == 0x2D
            p += 1
        }
        guard end - p <= 8 else { return .invalid }
        let word = String(decoding: UnsafeBufferPointer(start: p, count: end - p), as: UTF8.self).lowercased()
        switch word {
        case "nan": return .nonFinite(negative ? -Float.nan : Float.nan)
        case "inf", "infinity": return .nonFinite(negative ? -Float.infinity : Float.infinity)
        default: return .invalid
        }
    }

    /// Reads an exponent's optional sign and digits at `p` (after the `e`), capping the magnitude
    /// at 100,000; nil when there is no digit.
    @inline(__always)
    static func scanExponent(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Int, digits: Int)? {
        var negative = false
        if p < end && (p.pointee == 0x2D || p.pointee == 0x2B) {
            negative = p.pointee == 0x2D
            p += 1
        }
        var value = 0
        let start = p
        while p < end {
            let d = p.pointee &- 0x30
            if d >= 10 { break }
            if value < 100_000 { value = value * 10 + Int(d) }
            p += 1
        }
        guard p > start else { return nil }
        return (negative ? -value : value, p - start)
    }

    /// `strtof` on a NUL-terminated copy; the whole text must be consumed.
    static func slow(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> ParsedNumber {
        let count = end - begin
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: begin, byteCount: count)
            buffer[count] = 0
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtof(buffer.baseAddress!, &stop)
            guard let stop, stop == buffer.baseAddress! + count else { return .invalid }
            return value.isFinite ? .value(value) : .nonFinite(value)
        }
    }
}
