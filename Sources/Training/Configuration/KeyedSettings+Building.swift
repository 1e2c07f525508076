extension KeyedSettings {
    /// The defaults changed by `configure`, for configurations built in code: every type of a
    /// pipeline file's sections and every layer or optimizer specification, with one definition
    /// (a memberwise initialiser per type would write every key twice more):
    ///
    ///     let dense = DenseSpecification { $0.units = 64 }
    ///     let data = RunConfiguration.Dataset { $0.kind = .images; $0.path = "digits/train" }
    public init(_ configure: (inout Self) throws -> Void) rethrows {
        self.init()
        try configure(&self)
    }
}
