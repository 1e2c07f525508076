import DataPipeline
import SystemIO

/// How a `CSVDataset` widens parsed rows: each categorical column's category index (one value)
/// becomes a one-hot block of `categories + 1` values, the last for the unknown category; every
/// other value is kept, in order (so regression targets stay each row's last values).
struct CSVOneHotEncoding: Sendable {
    /// Per parsed value: where it goes in the wide row, and its block's width (1: a number).
    private let offsets: [Int]
    private let widths: [Int]
    /// The wide row's width.
    let width: Int
    /// The wide row's value names: a number's column name, `column=category` for a category and
    /// `column=(unknown)` for the unknown one.
    let names: [String]
    /// Per wide value: whether it is a one-hot value (not scaled by a normalisation).
    let isOneHot: [Bool]

    init(layout: CSVLayout, categories: [[String]]) {
        var widths = [Int](repeating: 1, count: layout.featureNames.count)
        var blockNames = layout.featureNames.map { [$0] }
        for (index, slot) in layout.categorySlots.enumerated() {
            let column = layout.featureNames[slot]
            widths[slot] = categories[index].count + 1
            blockNames[slot] = categories[index].map { "\(column)=\($0)" } + ["\(column)=(unknown)"]
        }
        var offsets: [Int] = []
        var offset = 0
        for width in widths {
            offsets.append(offset)
            offset += width
        }
        self.offsets = offsets
        self.widths = widths
        width = offset
        names = blockNames.flatMap { $0 }
        isOneHot = widths.flatMap { repeatElement($0 > 1, count: $0) }
    }

    /// Whether rows pass through unchanged (no categorical column).
    var isIdentity: Bool { width == offsets.count }

    /// `rows` parsed rows (`offsets.count` values each) as wide rows. A category index outside
    /// its block (which fixed categories never give) is the unknown category.
    func expand(_ values: [Float], rows: Int) -> [Float] {
        guard !isIdentity else { return values }
        let narrow = offsets.count
        return [Float](unsafeUninitializedCapacity: rows * width) { wide, initialized in
            wide.initialize(repeating: 0)
            values.withUnsafeBufferPointer { source in
                for row in 0..<rows {
                    let from = row * narrow
                    let to = row * width
                    for slot in 0..<narrow {
                        let value = source[from + slot]
                        let blockWidth = widths[slot]
                        if blockWidth == 1 {
                            wide[to + offsets[slot]] = value
                        } else {
                            let code = value >= 0 && value < Float(blockWidth - 1) ? Int(value) : blockWidth - 1
                            wide[to + offsets[slot] + code] = 1
                        }
                    }
                }
            }
            initialized = rows * width
        }
    }
}
