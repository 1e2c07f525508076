import Glibc
import SystemIO
import TabularFormats

/// libFuzzer entry: any file must stream through `CSVReader` and `CSVTextReader` or throw
/// `DataError`, never trap; when the numeric reader reads every row, the text reader (one quoting
/// state machine) finds the same records on the same lines. The first two bytes pick the options
/// (separator, header, label mapping, non-finite policy, bad-input policy, a small chunk size so
/// chunk cutting and buffer growth are exercised); the rest is written to a temporary file and
/// read to the end.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let (first, second) = (Int(data[0]), Int(data[1]))
    var options = CSVOptions()
    options.separator = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")][first & 3]
    options.hasHeader = first & 4 == 0
    switch (first >> 3) & 3 {
    case 0: options.labelMapping = .numeric
    case 1: options.labelMapping = .firstAppearance
    case 2: options.labelMapping = .given(["a", "b", "0", "1"])
    default: options.labelColumn = nil
    }
    if !options.hasHeader, options.labelColumn != nil { options.labelColumn = .index(0) }
    options.nonFinite = first & 32 == 0 ? .error : .allow
    options.badInput = first & 64 == 0 ? .fail : .skip(maximumFraction: 0.5)
    options.missingValues = first & 128 == 0 ? .error : .value(0)
    options.chunkBytes = 1 + second * 4
    let path = FuzzFile.write(UnsafeBufferPointer(start: data + 2, count: size - 2))
    defer { unlink(path) }
    var lines: [Int]?
    do {
        let reader = try CSVReader(path: path, options: options)
        var rows: [Int] = []
        while let chunk = try reader.next() {
            precondition(chunk.labels.count * reader.featureNames.count == chunk.features.scalars.count, "rows and features disagree")
            rows += chunk.lines
        }
        precondition(rows.count <= size, "\(rows.count) rows from \(size) bytes")
        if reader.quarantine.entries.isEmpty { lines = rows }
    } catch {
        _ = error.description
    }
    do {
        let text = try CSVTextReader(path: path, separator: options.separator)
        var records: [Int] = []
        while let record = try text.next() { records.append(record.line) }
        if let lines { precondition(Array(records.dropFirst(options.hasHeader ? 1 : 0)) == lines, "text records \(records), rows \(lines)") }
    } catch {
        precondition(lines == nil || error.kind == .tooLarge, "the text reader failed where the numeric reader did not: \(error)")
    }
    return 0
}

/// The per-process temporary file the input is written to.
enum FuzzFile {
    static let path = "/tmp/millrace-fuzz-csv-\(getpid()).csv"

    /// Writes `bytes` to `path` (replacing it) and returns the path.
    static func write(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path)")
        var written = 0
        while written < bytes.count {
            let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            precondition(result > 0, "cannot write \(path)")
            written += result
        }
        close(descriptor)
        return path
    }
}
