// The `Millrace` umbrella module: `import Millrace` gives every public module of the framework,
// so a package that depends on the `Millrace` product needs one import and one product line.
@_exported import Checkpoints
@_exported import DataPipeline
@_exported import Distributed
@_exported import ImageFormats
@_exported import Layers
@_exported import Optimizers
@_exported import Reports
@_exported import Shards
@_exported import SystemIO
@_exported import TabularFormats
@_exported import Tensors
@_exported import Training
