import SystemIO

/// The parameter bytes a model build may allocate, shared by every layer it makes, inside
/// residual blocks and other containers too (`LayerBuildContext.build` passes it on), so a
/// layer too large for the memory is refused before its weights are allocated, wherever it sits.
final class ParameterBudget {
    /// The bytes the build may use, and where the figure comes from.
    let limit: MemoryAvailable
    /// The bytes of values and gradients of the layers made so far.
    private(set) var used = 0

    /// A budget of `limit`.
    init(limit: MemoryAvailable) {
        self.limit = limit
    }

    /// Counts what `specification` allocates for `inputShape`, or throws, naming its units or
    /// filters, when the model's parameters would then exceed the limit.
    func charge(_ specification: any LayerSpecification, inputShape: [Int], classes: Int) throws(SpecificationError) {
        used = MemoryEstimate.add(used, ModelBuilder.parameterBytesBeforeMaking(specification, inputShape: inputShape, classes: classes))
        guard used > limit.bytes else { return }
        let budget = MemoryBudgetError(
            what: "the model's parameters up to this layer (values and gradients)", neededBytes: used, limitBytes: limit.bytes,
            limitSource: limit.source, fix: "use fewer units or filters")
        let key = specification is DenseSpecification ? "units" : specification is Conv2DSpecification ? "filters" : nil
        throw SpecificationError(
            key: key, reason: budget.statement, fix: budget.fix + ", or raise the limit with --memory-limit (TrainingOverrides.memoryLimit in code)")
    }
}
