import TabularFormats

/// Reads a whole CSV file with the streaming reader: its rows, labels, lines and the reader.
func readAll(_ path: String, _ configure: (inout CSVOptions) -> Void = { _ in }) throws -> (
    rows: [[Float]], labels: [Int], lines: [Int], reader: CSVReader
) {
    var options = CSVOptions()
    configure(&options)
    let reader = try CSVReader(path: path, options: options)
    var rows: [[Float]] = []
    var labels: [Int] = []
    var lines: [Int] = []
    while let chunk = try reader.next() {
        let width = chunk.features.shape[1]
        let values = chunk.features.scalars
        for row in 0..<chunk.count { rows.append(Array(values[(row * width)..<((row + 1) * width)])) }
        labels += chunk.labels
        lines += chunk.lines
    }
    return (rows, labels, lines, reader)
}
