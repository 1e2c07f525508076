// CSVStreaming: read a CSV file of any size chunk by chunk, in bounded memory.
//
//     swift run CSVStreaming data.csv [label-column]
//
// Without arguments it writes a small demonstration file to the temporary folder and reads that.
import Foundation
import Millrace

// 1. The file: the first argument, or a generated one (a `label` column and three features).
let arguments = CommandLine.arguments
let path: String
if arguments.count > 1 {
    path = arguments[1]
} else {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("millrace-streaming-example.csv").path
    var text = "x,y,z,label\n"
    for row in 0..<20_000 { text += "\(row % 10),\(Double(row) / 1000),\(row % 3),\(row % 2)\n" }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

// 2. How to read it: which column is the label (nil: none), and about how many bytes a chunk holds.
//    Memory stays near (threads + 1) * chunkBytes whatever the file's size; gzip files work too.
var options = CSVOptions()
options.labelColumn = arguments.count > 2 ? .name(arguments[2]) : (arguments.count > 1 ? nil : .name("label"))
options.chunkBytes = 64 << 10
options.threads = 2

// 3. Stream: each chunk is a `[rows, features]` tensor with its labels and first line number.
let reader = try CSVReader(path: path, options: options)
print("features: \(reader.featureNames.joined(separator: ", "))")
var totalRows = 0
var sums = [Double](repeating: 0, count: reader.featureNames.count)
while let chunk = try reader.next() {
    let means = chunk.features.mean(alongAxis: 0).scalars  // per-feature mean of this chunk
    for (column, mean) in means.enumerated() { sums[column] += Double(mean) * Double(chunk.count) }
    totalRows += chunk.count
    let shown = means.map { String(format: "%.3f", $0) }.joined(separator: " ")
    print("chunk \(chunk.index): \(chunk.count) rows from line \(chunk.firstLine), means \(shown)")
}

// 4. Whole-file figures, from the per-chunk ones (nothing but one chunk was ever held).
print("\(totalRows) rows; means \(sums.map { String(format: "%.3f", $0 / Double(max(totalRows, 1))) })")
if !reader.classNames.isEmpty { print("classes: \(reader.classNames)") }
