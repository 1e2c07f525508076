import DataPipeline
import Dispatch
import SystemIO
import Tensors

/// Streams a CSV file (plain or gzip-compressed) in chunks with bounded memory.
///
/// Bytes are read into one buffer of about `threads * chunkBytes` (and a quarter chunk for the
/// row that crosses the last chunk's target end); each wave cuts up to `threads` chunks out of
/// it, parses them in parallel, and hands them out in file order, so
/// memory stays flat whatever the file's size, and the chunks and their contents do not depend on
/// the thread count. Bad rows are handled by the `badInput` policy.
public final class CSVReader {
    /// The file.
    public let path: String
    /// The options.
    public let options: CSVOptions
    /// The column names (from the header, or `0`, `1`, ... without one).
    public var columnNames: [String] { layout.columnNames }
    /// The feature column names, in feature order.
    public var featureNames: [String] { layout.featureNames }
    /// The class names: given, in order of first appearance so far, or the numeric labels seen so far.
    public private(set) var classNames: [String] = []
    /// Rows skipped under the `.skip` policy.
    public let quarantine: Quarantine
    /// The categorical columns' categories: given, or those of the counted rows read so far in
    /// order of first appearance (complete once `next()` has returned nil).
    public var categories: [CSVCategories] { statistics.namedCategories }

    private(set) var layout = CSVLayout.placeholder
    private var parser: CSVChunkParser
    private let stream: ByteStream
    private var buffer: [UInt8]
    private var start = 0, filled = 0
    private var bufferOffset = 0  // file offset of buffer[0]
    private var atEndOfInput = false
    private var nextLine = 1
    private var nextIndex = 0
    private var ready: [CSVChunk] = []
    private var readyPosition = 0
    private var labelIndices: [String: Int] = [:]
    private var largestNumericLabel = -1
    private var finished = false
    private var census = CSVLabelCensus()
    private var statistics: CSVColumnStatistics
    private let countingRows: ((Int) -> Bool)?
    private var deliveredRows = 0

    /// Opens the file and reads its header. `expectedRows`, when known, sets the error budget of
    /// the `.skip` policy. `countingRows` picks the rows (by number among the good rows, from 0,
    /// in file order) whose categories and values make `categories` and `fillValues()` (such as
    /// the training side of a split); nil: every row.
    public init(
        path: String, options: CSVOptions = CSVOptions(), expectedRows: Int? = nil, countingRows: ((Int) -> Bool)? = nil
    ) throws(DataError) {
        guard options.chunkBytes > 0, options.threads > 0 else {
            throw DataError(.invalidOption, path: path, reason: "chunk size and thread count must be positive", fix: "use positive values")
        }
        self.path = path
        self.options = options
        self.countingRows = countingRows
        parser = CSVChunkParser(layout: .placeholder, options: options, path: path)
        statistics = CSVColumnStatistics(layout: .placeholder, options: options, path: path)
        quarantine = Quarantine(policy: options.badInput, expectedTotal: expectedRows)
        stream = try ByteStream(path: path)
        buffer = [UInt8](repeating: 0, count: options.threads * options.chunkBytes + CSVReader.slack(chunkBytes: options.chunkBytes))
        try fill()
        guard filled > 0 else {
            throw DataError(.emptyFile, path: path, byteOffset: 0, reason: "the file is empty", fix: "give a CSV file with a header and rows")
        }
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }  // UTF-8 BOM
        // Blank lines before the first record are skipped, as everywhere else (and by `CSVTextReader`).
        try skipBlankLines()
        let headerEnd = try cutNext(chunkBytes: 1)
        let (headerStart, headerLine, scanner, offset) = (start, nextLine, parser.scanner, bufferOffset + start)
        let firstRow = try buffer.withUnsafeBufferPointer { bytes throws(DataError) in
            try CSVTextReader.fields(
                of: UnsafeBufferPointer(rebasing: bytes[headerStart..<headerEnd]), scanner: scanner, line: headerLine, byteOffset: offset,
                path: path)
        }
        let names = options.hasHeader ? firstRow : (0..<firstRow.count).map(String.init)
        layout = try CSVLayout(columnNames: names, options: options, path: path)
        parser = CSVChunkParser(layout: layout, options: options, path: path)
        statistics = CSVColumnStatistics(layout: layout, options: options, path: path)
        if case .given(let given) = options.labelMapping { classNames = given } else { classNames = [] }
        if options.hasHeader {
            // A quoted name may hold line ends: the rows start after every line of the header.
            nextLine += buffer.withUnsafeBufferPointer { CSVChunkCutter.lineEnds($0.baseAddress!, from: headerStart, to: headerEnd) }
            start = headerEnd
        }
    }

    /// Moves `start` past blank lines, counting them in `nextLine` (reading on as needed).
    private func skipBlankLines() throws(DataError) {
        while true {
            if start == filled {
                if atEndOfInput { return }
                try compactAndFill()
                continue
            }
            let byte = buffer[start]
            guard byte == 0x0A || byte == 0x0D else { return }
            if byte == 0x0D && start + 1 == filled && !atEndOfInput {
                try compactAndFill()  // a CR at the end of the buffer may be half a CRLF
                continue
            }
            start += byte == 0x0D && start + 1 < filled && buffer[start + 1] == 0x0A ? 2 : 1
            nextLine += 1
        }
    }

    /// The next chunk in file order, or nil at the end. Throws the first bad row's error under
    /// `.fail`, or `tooManyBadSamples` when the `.skip` budget is exceeded.
    public func next() throws(DataError) -> CSVChunk? {
        if readyPosition == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyPosition = 0
            try readWave()
            if ready.isEmpty {
                if !finished {
                    finished = true
                    try quarantine.finish()
                    try checkClasses()
                }
                return nil
            }
        }
        readyPosition += 1
        return ready[readyPosition - 1]
    }

    /// Cuts up to `threads` chunks from the buffer, parses them in parallel, and queues them.
    private func readWave() throws(DataError) {
        var cuts: [(start: Int, end: Int)] = []
        let scanner = parser.scanner
        try compactAndFill()
        while cuts.count < options.threads {
            let from = cuts.last?.end ?? start
            if from >= filled && atEndOfInput { break }
            guard
                let end = buffer.withUnsafeBufferPointer({
                    CSVChunkCutter.cut(
                        $0.baseAddress!, count: filled, from: from, chunkBytes: options.chunkBytes, atEndOfInput: atEndOfInput,
                        scanner: scanner)
                })
            else {
                if cuts.isEmpty {
                    try grow()
                    continue
                }
                break
            }
            if end == from { break }
            cuts.append((from, end))
        }
        guard let last = cuts.last else { return }
        let parsed = UncheckedSendable(UnsafeMutablePointer<ParsedChunk>.allocate(capacity: cuts.count))
        parsed.value.initialize(repeating: ParsedChunk(), count: cuts.count)
        defer {
            parsed.value.deinitialize(count: cuts.count)
            parsed.value.deallocate()
        }
        let (chunkParser, offset) = (parser, bufferOffset)
        buffer.withUnsafeBufferPointer { bytes in
            let shared = UncheckedSendable(bytes)
            let pieces = cuts
            // Lines are counted from 0 in each chunk, and moved once the chunks before it are counted.
            DispatchQueue.concurrentPerform(iterations: pieces.count) { index in
                let piece = pieces[index]
                parsed.value[index] = chunkParser.parse(
                    UnsafeBufferPointer(rebasing: shared.value[piece.start..<piece.end]), firstLine: 0, byteOffset: offset + piece.start)
            }
        }
        for (index, piece) in cuts.enumerated() {
            let firstLine = nextLine
            nextLine += parsed.value[index].lineEnds
            parsed.value[index].shiftLines(by: firstLine)
            try deliver(&parsed.value[index], start: piece.start, end: piece.end, firstLine: firstLine)
        }
        start = last.end
    }

    private func deliver(_ chunk: inout ParsedChunk, start chunkStart: Int, end: Int, firstLine: Int) throws(DataError) {
        quarantine.recordGood(chunk.rowCount)
        for error in chunk.badRows {
            try quarantine.recordBad(error, origin: "\(path):\(error.line ?? 0)")
        }
        if let fatal = chunk.fatal { throw fatal }
        try statistics.record(&chunk, firstRow: deliveredRows, counts: countingRows)
        deliveredRows += chunk.rowCount
        var labels = chunk.labels
        switch options.labelMapping {
        case .firstAppearance:
            let global = chunk.localLabels.map { name in
                if let index = labelIndices[name] { return index }
                labelIndices[name] = classNames.count
                classNames.append(name)
                return classNames.count - 1
            }
            for row in labels.indices { labels[row] = global[labels[row]] }
        case .numeric:
            if options.checksClasses { census.record(labels: labels, lines: chunk.lines) }
            if let largest = labels.max(), largest > largestNumericLabel {
                largestNumericLabel = largest
                classNames = (0...largest).map(String.init)
            }
        case .given:
            break
        }
        let features = Tensor(shape: [chunk.rowCount, layout.featureNames.count], scalars: chunk.features)
        ready.append(
            CSVChunk(
                index: nextIndex, byteOffset: bufferOffset + chunkStart, byteCount: end - chunkStart,
                firstLine: firstLine, features: features, labels: labels, lines: chunk.lines, path: path))
        nextIndex += 1
    }

    /// At the end of the file, under `checksClasses`: the labels make at least 2 classes, and
    /// numeric ones leave at most half of the class ids unused (`CSVLabelCensus`).
    private func checkClasses() throws(DataError) {
        guard options.checksClasses, let column = layout.roles.firstIndex(of: .label) else { return }
        if case .given = options.labelMapping { return }
        try census.check(
            mapping: options.labelMapping, classNames: classNames, path: path, labelColumn: column + 1, labelName: layout.columnNames[column])
    }

    /// The fill value of every numeric feature column whose empty fields are filled (given, the
    /// policy's value, or under `.mean` the mean of the counted rows' values: call it once
    /// `next()` has returned nil). Throws when a column to be filled by its mean has no value.
    public func fillValues() throws(DataError) -> [CSVFill] {
        try statistics.fills()
    }

    /// The end of the row that starts at `start` (for the header).
    private func cutNext(chunkBytes: Int) throws(DataError) -> Int {
        while true {
            if let end = buffer.withUnsafeBufferPointer({
                CSVChunkCutter.cut(
                    $0.baseAddress!, count: filled, from: start, chunkBytes: chunkBytes, atEndOfInput: atEndOfInput, scanner: parser.scanner)
            }) {
                return end
            }
            try grow()
        }
    }

    /// The bytes the buffer holds past `threads` chunks: room for the row that crosses the last
    /// chunk's target end, so that a wave cuts `threads` chunks, and little to move to the front
    /// after it (a longer row makes a wave of fewer chunks, or grows the buffer).
    static func slack(chunkBytes: Int) -> Int {
        max(chunkBytes / 4, 1 << 16)
    }

    /// Moves unread bytes to the front and reads until the buffer is full or the input ends.
    private func compactAndFill() throws(DataError) {
        if start > 0 {
            let remaining = filled - start
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: remaining)
            }
            bufferOffset += start
            filled = remaining
            start = 0
        }
        try fill()
    }

    private func fill() throws(DataError) {
        while !atEndOfInput && filled < buffer.count {
            let offset = bufferOffset + filled
            let got = try stream.read(into: &buffer, at: filled, count: buffer.count - filled, offset: offset)
            if got == 0 { atEndOfInput = true } else { filled += got }
        }
    }

    /// Doubles the buffer for a row longer than it, up to `maximumFieldBytes` of pending input: an
    /// unfinished row already longer than the limit is an error naming the first field over it
    /// (or the row), so memory stays bounded whatever the file holds (`/dev/zero`-like input, a
    /// quote never closed). Growing in place keeps the peak at the old plus the new buffer.
    private func grow() throws(DataError) {
        guard !atEndOfInput else { return }
        let limit = options.maximumFieldBytes
        if filled - start > limit {
            let (from, to, line, offset) = (start, filled, nextLine, bufferOffset + start)
            let error = buffer.withUnsafeBufferPointer {
                CSVFieldLimit.error(
                    in: $0, from: from, to: to, firstLine: line, offset: offset, scanner: parser.scanner, limit: limit, path: path)
            }
            if let error { throw error }
        }
        let (doubled, overflow) = buffer.count.multipliedReportingOverflow(by: 2)
        // Complete rows end before `start + chunkBytes` (the cut was not found past it), so the
        // unfinished row is over the limit once this much is buffered.
        let capped = min(overflow ? Int.max : doubled, start + options.chunkBytes + limit + 2)
        guard capped > buffer.count else { return }
        buffer.reserveCapacity(capped)
        buffer.append(contentsOf: repeatElement(0, count: capped - buffer.count))
        try fill()
    }
}
