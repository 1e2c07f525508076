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
    /// How an empty numeric feature field is read (a target is never filled in).
    public var missingValues = MissingValuePolicy.error
    /// Fill values of given numeric columns (such as training means saved in a checkpoint):
    /// they take precedence over `missingValues` for their column.
    public var fillValues: [ColumnReference: Float] = [:]
    /// Feature columns whose fields are categories (any text), not numbers: each becomes a
    /// category index (`CSVReader`) or a one-hot block (`CSVDataset`). Empty: none.
    public var categoricalColumns: [ColumnReference] = []
    /// The categories of given categorical columns, in index order; a value not listed is the
    /// unknown category (index `values.count`). A categorical column not given here gets the
    /// categories of the file's (counted) rows in order of first appearance.
    public var categories: [ColumnReference: [String]] = [:]
    /// The most categories a column's categories read from the file may have (at least 1): more is
    /// an error naming the column (an identifier column is not a category; one-hot encoding it
    /// would make an input per row).
    public var maximumCategories = 1_000
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
