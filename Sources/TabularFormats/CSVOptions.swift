import DataPipeline
import SystemIO

/// A CSV column, by header name or by 0-based position.
public enum ColumnReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The column whose header is this name.
    case name(String)
    /// The column at this 0-based position.
    case index(Int)

    /// The name, or `#index`.
    public var description: String {
        switch self {
        case .name(let name): return "'\(name)'"
        case .index(let index): return "#\(index)"
        }
    }
}

/// How label fields become class indices.
public enum LabelMapping: Sendable, Equatable, Codable {
    /// The field is a non-negative integer class index.
    case numeric
    /// Text labels, numbered in order of first appearance in the file.
    case firstAppearance
    /// Text labels, numbered by their position in this list; any other label is an error.
    case given([String])
}

/// Whether NaN and infinite values are accepted in numeric fields.
public enum NonFinitePolicy: String, Sendable, Codable {
    /// NaN, infinities and values that overflow `Float` are errors (the default).
    case error
    /// They are kept as parsed.
    case allow
}

/// How a CSV file is read.
public struct CSVOptions: Sendable, Equatable {
    /// The field separator (one ASCII byte).
    public var separator: UInt8 = UInt8(ascii: ",")
    /// Whether the first row names the columns.
    public var hasHeader = true
    /// The label column, or nil for unlabelled data (labels are then -1).
    public var labelColumn: ColumnReference? = .name("label")
    /// The feature columns in order, or nil for every column except the label and `ignoredColumns`.
    public var featureColumns: [ColumnReference]?
    /// Columns left out when `featureColumns` is nil (an `id` column, say).
    public var ignoredColumns: [ColumnReference] = []
    /// Numeric regression targets: these columns are parsed like features (a missing or
    /// non-numeric cell is an error naming the file, line and column) and placed after the
    /// features, in this order, as each row's last `targetColumns.count` values. Empty: none.
    /// Exclusive with `labelColumn` (set that to nil).
    public var targetColumns: [ColumnReference] = []
    /// Whether the target columns hold 0/1 labels (multi-label classification): a target value
    /// other than 0 or 1 (`1.0` is 1) is then an error naming the file, line and column, like a
    /// cell that is not a number.
    public var binaryTargets = false
    /// How labels become class indices.
    public var labelMapping: LabelMapping = .numeric
    /// The most classes numeric labels may make: a label must be below it (a label of 2^31 would
    /// otherwise make 2^31 class names and output units). At least 1.
    public var maximumClasses = 65_536
    /// Whether the labels must make a classification problem, checked when the whole file has
    /// been read: at least 2 classes occur, and numeric labels (class ids: the class count is the
    /// largest label + 1) leave at most half of the ids 0...largest unused, else an error names
    /// the line of the largest label (a stray `99` among 0-9 would make a 100-class model). Off by
    /// default (a reader reads any labels); training and packing turn it on, and data read
    /// against a model's known classes (validation, evaluation, prediction), which may hold only
    /// some of them, leaves it off.
    public var checksClasses = false
    /// NaN/infinity handling.
    public var nonFinite: NonFinitePolicy = .error
    /// The value of an empty feature field, or nil to make empty fields an error.
    public var fillValue: Float?
    /// The longest field, and the longest row, in bytes (default 64 MiB): a longer one is an error
    /// naming its line and column, so that a file without line ends (or with a quote never closed)
    /// cannot make the reader hold more than about this much of it. Raise it for files with
    /// larger fields.
    public var maximumFieldBytes = 64 << 20
    /// The target size of a chunk in bytes (chunks end at a row boundary at or after it).
    public var chunkBytes = 1 << 20
    /// The number of threads that parse chunks.
    public var threads = 1
    /// What to do with bad rows.
    public var badInput = BadInputPolicy.fail

    /// Creates options with the defaults: comma-separated, a header, a numeric `label` column,
    /// every other column a feature.
    public init() {}
}

/// What each column of a CSV file is used for, resolved from the header and the options.
struct CSVLayout: Sendable, Equatable {
    enum Role: Sendable, Equatable {
        case feature(Int)
        case label
        case ignored
    }

    var columnNames: [String]
    var roles: [Role]
    var featureNames: [String]
    var hasLabel: Bool

    var columnCount: Int { roles.count }

    /// A layout with no columns, until the header is read.
    static let placeholder = CSVLayout()

    private init() {
        columnNames = []
        roles = []
        featureNames = []
        hasLabel = false
    }

    init(columnNames: [String], options: CSVOptions, path: String) throws(DataError) {
        func resolve(_ reference: ColumnReference) throws(DataError) -> Int {
            switch reference {
            case .index(let index):
                guard index >= 0 && index < columnNames.count else {
                    throw DataError(
                        .unknownColumn, path: path, line: 1, reason: "column #\(index) does not exist: the file has \(columnNames.count) columns",
                        fix: "use a column index from 0 to \(columnNames.count - 1)")
                }
                return index
            case .name(let name):
                guard let index = columnNames.firstIndex(of: name) else {
                    throw DataError(
                        .unknownColumn, path: path, line: 1,
                        reason:
                            "no column named '\(name)' in the header (\(columnNames.prefix(8).joined(separator: ", "))\(columnNames.count > 8 ? ", ..." : ""))",
                        fix: options.hasHeader ? "use one of the header's names" : "the file has no header: refer to columns by index")
                }
                return index
            }
        }
        if options.hasHeader {
            var first: [String: Int] = [:]
            for (index, name) in columnNames.enumerated() {
                if let earlier = first[name] {
                    throw DataError(
                        .invalidOption, path: path, line: 1, column: index + 1,
                        reason: "columns \(earlier + 1) and \(index + 1) of the header are both named '\(name)'",
                        fix: "give every column its own name (a name picks one column: the label, a feature, an ignored column)")
                }
                first[name] = index
            }
        }
        self.columnNames = columnNames
        var roles = [Role](repeating: .ignored, count: columnNames.count)
        var labelIndex: Int?
        if let label = options.labelColumn {
            let index = try resolve(label)
            roles[index] = .label
            labelIndex = index
        }
        if labelIndex != nil && !options.targetColumns.isEmpty {
            throw DataError(
                .invalidOption, path: path, reason: "both a label column and target columns are given",
                fix: "give either a label column (classification) or target columns (regression)")
        }
        var targetIndices: [Int] = []
        for reference in options.targetColumns {
            let index = try resolve(reference)
            guard !targetIndices.contains(index) else {
                throw DataError(.invalidOption, path: path, reason: "target column \(reference) is given twice", fix: "name each target column once")
            }
            targetIndices.append(index)
        }
        var featureIndices: [Int] = []
        if let features = options.featureColumns {
            for reference in features {
                let index = try resolve(reference)
                guard index != labelIndex else {
                    throw DataError(
                        .invalidOption, path: path, reason: "column \(reference) is both the label and a feature",
                        fix: "remove it from the feature columns")
                }
                guard !targetIndices.contains(index) else {
                    throw DataError(
                        .invalidOption, path: path, reason: "column \(reference) is both a target and a feature",
                        fix: "remove it from the feature columns")
                }
                featureIndices.append(index)
            }
        } else {
            var ignored = Set<Int>()
            for reference in options.ignoredColumns { ignored.insert(try resolve(reference)) }
            featureIndices = (0..<columnNames.count).filter { $0 != labelIndex && !ignored.contains($0) && !targetIndices.contains($0) }
        }
        guard !featureIndices.isEmpty else {
            throw DataError(.invalidOption, path: path, reason: "no feature columns selected", fix: "select at least one feature column")
        }
        // Targets are parsed as the last values of each row.
        for (slot, index) in (featureIndices + targetIndices).enumerated() { roles[index] = .feature(slot) }
        self.roles = roles
        featureNames = (featureIndices + targetIndices).map { columnNames[$0] }
        hasLabel = labelIndex != nil
    }
}
