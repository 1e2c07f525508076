import Foundation

/// `Tests/Fixtures/recipes-oracle.json`: reference numbers for the training recipes (AdamW with
/// two parameter groups, label smoothing, warm-up and one-cycle rates, gradient clipping),
/// computed in float64 by `Tests/Fixtures/make_recipes_oracle.py` with NumPy from the
/// algorithms PyTorch documents (its docstring quotes each formula).
public enum RecipesOracle {
    /// The section `name` of the file (`adamw`, `label_smoothing`, `schedules`, `clipping`).
    public static func section(_ name: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: try Fixtures.data("recipes-oracle.json")) as? [String: Any]
        guard let section = object?[name] as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "recipes-oracle.json has no section \(name)"])
        }
        return section
    }

    /// `value` as numbers (a JSON array of numbers), or an empty array.
    public static func numbers(_ value: Any?) -> [Double] {
        (value as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
    }
}
