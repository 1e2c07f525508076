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
            d = exponent < 0 ? d / DecimalTables.shared.doublePowers[-exponent] : d * DecimalTables.shared.doublePowers[exponent]
            if let f = roundedToFloat(d) {
                return .value(negative ? -f : f)
            }
        }
        return slow(start, e)
    }

    /// Parses the longest number at `p` (blanks before and after allowed) and returns it with
    /// the position after it, or nil when the fast path cannot decide (no digits, NaN/infinity
    /// spellings, long significands, large exponents, float midpoints): the caller then takes
    /// the general path on the whole field. `tables` is `DecimalTables.shared`, fetched once by
    /// the caller (a static read in the loop costs a lazy-initialisation check per call).
    /// Transparent: `@inline(__always)` left it a call from the parser's loop (about 5% slower).
    @_transparent
    static func prefix(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, tables: DecimalTables) -> (
        value: Float, next: UnsafePointer<UInt8>
    )? {
        var p = begin
        while p < end && (p.pointee == 0x20 || p.pointee == 0x09) { p += 1 }
        // The sign without a branch (signs are as random as the data).
        let first = p < end ? p.pointee : 0
        let sign: UInt32 = first == 0x2D ? 0x8000_0000 : 0
        p += first == 0x2D || first == 0x2B ? 1 : 0
        var significand: UInt64 = 0
        var exponent = 0
        var digitCount = digits(&p, end, into: &significand, tables: tables)
        if p < end && p.pointee == 0x2E {
            p += 1
            let fractionDigits = digits(&p, end, into: &significand, tables: tables)
            exponent = -fractionDigits
            digitCount += fractionDigits
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
        if significand == 0 { return (Float(bitPattern: sign), p) }
        guard significand <= 1 << 53 && exponent >= -22 && exponent <= 22 else { return nil }
        if exponent >= 0 {
            // Clinger's fast path in single precision (fast_float's): a significand up to 2^24
            // and 10^0 ... 10^10 are exact floats, so one product rounds the decimal correctly.
            if significand <= 1 << 24 && exponent <= 10 {
                let value = Float(significand) * tables.floatPowers[exponent]
                return (Float(bitPattern: value.bitPattern | sign), p)
            }
            guard let f = roundedToFloat(Double(significand) * tables.doublePowers[exponent]) else { return nil }
            return (Float(bitPattern: f.bitPattern | sign), p)
        }
        // A product by the double nearest 10^-k instead of a division (several times slower):
        // it is within 2 double ulps of the decimal (two roundings of at most half an ulp each,
        // and the significand is exact), so rounding it to a float gives the decimal's float
        // unless it lies within 2 ulps of a float midpoint (29 low bits near 1 << 28). Those few
        // take the exact division.
        let d = Double(significand) * tables.reciprocalPowers[-exponent]
        if (d.bitPattern & 0x1FFF_FFFF) &- 0x0FFF_FFFC >= 8 {
            return (Float(bitPattern: Float(d).bitPattern | sign), p)
        }
        guard let f = roundedToFloat(Double(significand) / tables.doublePowers[-exponent]) else { return nil }
        return (Float(bitPattern: f.bitPattern | sign), p)
    }

    /// `prefix` with the shared tables (for callers outside a loop).
    static func prefix(_ begin: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (value: Float, next: UnsafePointer<UInt8>)? {
        prefix(begin, end, tables: DecimalTables.shared)
    }

    /// Appends the decimal digits at `p` to `value` (`value * 10^k + digits`, wrapping: the
    /// caller bounds the digit count), moves `p` past them and returns their count `k`. Eight
    /// bytes are read at a time while eight remain before `end`: the run of digits among them is
    /// found from their bits and converted with three multiplications (fast_float's
    /// `parse_eight_digits_unrolled`), without a branch per digit.
    @inline(__always)
    static func digits(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, into value: inout UInt64, tables: DecimalTables) -> Int {
        var count = 0
        while end - p >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            // The high bit of each byte that is not an ASCII digit (exact up to the first one,
            // which is all that is used: carries and borrows only move towards later bytes).
            let notDigits = ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
            let run = notDigits == 0 ? 8 : notDigits.trailingZeroBitCount >> 3
            guard run > 0 else { return count }
            // The run's digits moved to the top bytes, the bytes before them zeros (leading zeros).
            let digitBytes = (word &- 0x3030_3030_3030_3030) << UInt64(64 - 8 * run)
            value = value &* tables.integerPowers[run] &+ eightDigits(digitBytes)
            p += run
            count += run
            if run < 8 { return count }
        }
        while p < end {
            let d = p.pointee &- 0x30
            if d >= 10 { break }
            value = value &* 10 &+ UInt64(d)
            p += 1
            count += 1
        }
        return count
    }

    /// The number written by eight digit values (0-9, the first in the lowest byte).
    @inline(__always)
    static func eightDigits(_ bytes: UInt64) -> UInt64 {
        let pairs = bytes &* 10 &+ (bytes >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        return (((pairs & mask) &* 0x000F_4240_0000_0064) &+ (((pairs >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
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

/// Powers of ten for `DecimalParser`, in immortal memory so the hot path reads them without array
/// bounds checks or reference counting.
struct DecimalTables: @unchecked Sendable {
    /// 10^0 ... 10^22, all exactly representable in a double.
    let doublePowers: UnsafePointer<Double>
    /// The doubles nearest 10^0 ... 10^-22.
    let reciprocalPowers: UnsafePointer<Double>
    /// 10^0 ... 10^10, all exactly representable in a float.
    let floatPowers: UnsafePointer<Float>
    /// 10^0 ... 10^8.
    let integerPowers: UnsafePointer<UInt64>

    /// The one copy.
    static let shared = DecimalTables()

    private init() {
        func immortal<T>(_ values: [T]) -> UnsafePointer<T> {
            let table = UnsafeMutablePointer<T>.allocate(capacity: values.count)
            table.initialize(from: values, count: values.count)
            return UnsafePointer(table)
        }
        doublePowers = immortal((0...22).map { (0..<$0).reduce(1.0) { value, _ in value * 10 } })
        reciprocalPowers = immortal((0...22).map { 1 / (0..<$0).reduce(1.0) { value, _ in value * 10 } })
        floatPowers = immortal((0...10).map { (0..<$0).reduce(Float(1)) { value, _ in value * 10 } })
        integerPowers = immortal((0...8).map { (0..<$0).reduce(UInt64(1)) { value, _ in value * 10 } })
    }
}
