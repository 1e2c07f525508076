import Foundation

/// A command's JSON-like report (`[String: Any]`) printed for people: scalar entries as aligned
/// `key: value` lines, lists of objects and objects of scalars as `TextTable`s, an empty list as
/// `none`. `--json` prints the same report as one JSON object instead.
enum HumanReport {
    /// The text for `report`, entries in `order` first and the rest sorted; `titles` names the
    /// key column of object tables (`image_sizes` -> `size`).
    static func text(_ report: [String: Any], order: [String] = [], titles: [String: String] = [:]) -> String {
        let keys = order.filter { report[$0] != nil } + report.keys.filter { !order.contains($0) }.sorted()
        let scalars = keys.filter { isScalar(report[$0]!) }
        let width = scalars.map(\.count).max() ?? 0
        var text = ""
        for key in scalars {
            text += label(key) + ":" + String(repeating: " ", count: width - key.count + 1) + describe(report[key]!) + "\n"
        }
        for key in keys where !isScalar(report[key]!) {
            text += "\n" + label(key) + ":"
            switch report[key]! {
            case let list as [[String: Any]] where !list.isEmpty:
                let columns = orderedColumns(list)
                text +=
                    "\n" + TextTable(headers: columns.map(label), rows: list.map { row in columns.map { row[$0].map(describe) ?? "" } }).rendered()
            case let object as [String: Any] where !object.isEmpty && object.values.allSatisfy(isScalar):
                let rows = object.keys.sorted { a, b in (Int(a) ?? Int.max, a) < (Int(b) ?? Int.max, b) }.map { [$0, describe(object[$0]!)] }
                text += "\n" + TextTable(headers: [titles[key] ?? "name", "count"], rows: rows).rendered()
            case let list as [Any] where list.isEmpty:
                text += " none\n"
            case let object as [String: Any] where object.isEmpty:
                text += " none\n"
            default:
                text += " " + describe(report[key]!) + "\n"
            }
        }
        return text
    }

    private static func isScalar(_ value: Any) -> Bool { !(value is [Any]) && !(value is [String: Any]) }

    private static func label(_ key: String) -> String { key.replacingOccurrences(of: "_", with: " ") }

    /// The columns of a list of objects: `name`, `path` or `input` first, `reason` last.
    private static func orderedColumns(_ list: [[String: Any]]) -> [String] {
        let all = Set(list.flatMap(\.keys))
        let first = ["name", "path", "origin", "input"].filter(all.contains)
        let last = ["reason"].filter(all.contains)
        return first + all.subtracting(first + last).sorted() + last
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case let number as Int: return "\(number)"
        case let flag as Bool: return flag ? "yes" : "no"
        case let number as Double where number != number.rounded(): return String(format: "%.4g", number)
        case let shape as [Int]: return shape.map(String.init).joined(separator: "x")
        case let list as [Any]: return list.map(describe).joined(separator: ", ")
        case let object as [String: Any]:
            return object.keys.sorted().map { "\($0)=\(describe(object[$0]!))" }.joined(separator: ", ")
        default: return "\(value)"
        }
    }
}
