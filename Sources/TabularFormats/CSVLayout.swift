import SystemIO

/// What each column of a CSV file is used for, resolved from the header and the options.
struct CSVLayout: Sendable, Equatable {
    enum Role: Sendable, Equatable {
        /// A number in this feature slot.
        case feature(Int)
        /// Categorical column `index` (in `categoricalColumns` order), its category index in
        /// feature slot `slot`.
        case category(index: Int, slot: Int)
        case label
        case ignored
    }

    var columnNames: [String]
    var roles: [Role]
    /// One name per feature slot (a categorical column's name for its index's slot).
    var featureNames: [String]
    var hasLabel: Bool
    /// The categorical columns (file positions) in `CSVOptions.categoricalColumns` order.
    var categoricalColumns: [Int] = []
    /// Per categorical column: its given categories, or nil to read them from the file.
    var givenCategories: [[String]?] = []
    /// Per feature slot: the value of an empty field (NaN under `.mean` without a given fill, to
    /// be replaced), or nil when an empty field is an error (targets, categories, `.error`).
    var fills: [Float?] = []
    /// The number of regression targets (the last feature slots).
    var targetCount = 0

    var columnCount: Int { roles.count }

    /// A layout with no columns, until the header is read.
    static let placeholder = CSVLayout()

    private init() {
        columnNames = []
        roles = []
        featureNames = []
        hasLabel = false
    }

    /// The feature slot of each categorical column's index.
    var categorySlots: [Int] {
        categoricalColumns.map { column in
            if case .category(_, let slot) = roles[column] { return slot }
            return 0
        }
    }

    /// The file column of each feature slot.
    var slotColumns: [Int] {
        var columns = [Int](repeating: 0, count: featureNames.count)
        for (column, role) in roles.enumerated() {
            switch role {
            case .feature(let slot), .category(_, let slot): columns[slot] = column
            default: break
            }
        }
        return columns
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
        for reference in options.categoricalColumns {
            let index = try resolve(reference)
            guard !categoricalColumns.contains(index) else {
                throw DataError(
                    .invalidOption, path: path, reason: "categorical column \(reference) is given twice", fix: "name each categorical column once")
            }
            guard case .feature(let slot) = roles[index], !targetIndices.contains(index) else {
                throw DataError(
                    .invalidOption, path: path,
                    reason: "categorical column \(reference) is not a feature column (it is the label, a target or left out)",
                    fix: "list only feature columns as categorical columns")
            }
            roles[index] = .category(index: categoricalColumns.count, slot: slot)
            categoricalColumns.append(index)
        }
        var given: [Int: [String]] = [:]
        for (reference, values) in options.categories.sorted(by: { $0.key.description < $1.key.description }) {
            let index = try resolve(reference)
            guard categoricalColumns.contains(index) else {
                throw DataError(
                    .invalidOption, path: path, reason: "categories are given for column \(reference), which is not a categorical column",
                    fix: "add it to the categorical columns, or remove its categories")
            }
            given[index] = values
        }
        givenCategories = categoricalColumns.map { given[$0] }
        var fillsByColumn: [Int: Float] = [:]
        for (reference, value) in options.fillValues.sorted(by: { $0.key.description < $1.key.description }) {
            fillsByColumn[try resolve(reference)] = value
        }
        let policyFill: Float? =
            switch options.missingValues {
            case .error: nil
            case .value(let value): value
            case .mean: .nan
            }
        var fills = [Float?](repeating: nil, count: featureIndices.count + targetIndices.count)
        for index in featureIndices where !categoricalColumns.contains(index) {
            if case .feature(let slot) = roles[index] { fills[slot] = fillsByColumn[index] ?? policyFill }
        }
        self.fills = fills
        self.roles = roles
        featureNames = (featureIndices + targetIndices).map { columnNames[$0] }
        hasLabel = labelIndex != nil
        targetCount = targetIndices.count
    }
}
