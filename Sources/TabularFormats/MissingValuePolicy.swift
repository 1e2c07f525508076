/// How an empty field of a numeric feature column is read.
public enum MissingValuePolicy: Sendable, Equatable, Codable {
    /// An empty field is an error naming the file, line and column (the default).
    case error
    /// This value (`value(0)`: zero).
    case value(Float)
    /// The mean of the column's values in the rows a `CSVDataset` counts (the training rows),
    /// worked out in its opening pass. `CSVReader` reads such a field as NaN.
    case mean
}

/// A categorical column's categories, in index order (a value not among them is the unknown
/// category, index `values.count`).
public struct CSVCategories: Sendable, Equatable, Codable {
    /// The column's header name.
    public var column: String
    /// The categories.
    public var values: [String]

    /// Creates the categories of `column`.
    public init(column: String, values: [String]) {
        self.column = column
        self.values = values
    }
}

/// The value that fills an empty field of a numeric column.
public struct CSVFill: Sendable, Equatable, Codable {
    /// The column's header name.
    public var column: String
    /// The value.
    public var value: Float

    /// Creates the fill of `column`.
    public init(column: String, value: Float) {
        self.column = column
        self.value = value
    }
}
