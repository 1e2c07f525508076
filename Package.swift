// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Millrace",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Optimizers", targets: ["Optimizers"]),
        .library(name: "SystemIO", targets: ["SystemIO"]),
        .library(name: "DataPipeline", targets: ["DataPipeline"]),
        .library(name: "ImageFormats", targets: ["ImageFormats"]),
        .library(name: "TabularFormats", targets: ["TabularFormats"]),
        .library(name: "Shards", targets: ["Shards"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Reports", targets: ["Reports"]),
        // One import for users: `import Millrace` re-exports every module above.
        .library(name: "Millrace", targets: ["Millrace"]),
        // The `millrace` command as a library: a package's own executable registers its layers and
        // runs the whole command with them (`MillraceCommand.main { ... }`); re-exports Millrace.
        .library(name: "MillraceCommands", targets: ["MillraceCommands"]),
        .executable(name: "millrace", targets: ["MillraceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .target(name: "CMatrixKernel"),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "Tensors", dependencies: ["CMatrixKernel", "CDNNL"]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        // libjpeg (libjpeg-turbo, Debian's libjpeg62-turbo-dev) with its longjmp error handling kept in C.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Reads from memory-mapped files guarded against SIGBUS (a file truncated while mapped).
        .target(name: "CMappedIO"),
        // Small I/O helpers shared by the data side and checkpoints: whole-file reads, mapped
        // files, directory listing, CRC32, resource usage, and the one error type for bad input.
        .target(name: "SystemIO", dependencies: ["CZlib", "CMappedIO"]),
        // The pipeline core: dataset protocols, samplers, batching, prefetch, resumable state. It
        // knows no file format.
        .target(name: "DataPipeline", dependencies: ["Tensors", "SystemIO"]),
        // Formats, each a dataset type behind the core's protocols.
        .target(name: "ImageFormats", dependencies: ["Tensors", "SystemIO", "DataPipeline", "CPNG", "CJPEG"]),
        .target(name: "TabularFormats", dependencies: ["Tensors", "SystemIO", "DataPipeline", "CZlib"]),
        // Packed shards and their staging (local or HTTP), packed from images or CSV.
        .target(name: "Shards", dependencies: ["Tensors", "SystemIO", "DataPipeline", "ImageFormats", "TabularFormats"]),
        .target(name: "Layers", dependencies: ["Tensors"]),
        .target(name: "Optimizers", dependencies: ["Tensors", "Layers"]),
        .target(name: "Checkpoints", dependencies: ["Tensors", "SystemIO"]),
        // Open MPI for data-parallel training, opened with dlopen only when mpirun launched the
        // process (a plain run needs no libmpi).
        .target(name: "CMPI"),
        // The ranks of a data-parallel run and what passes between them: the communicator (one
        // process, or Open MPI through CMPI), the gradient exchange, synchronised batch
        // normalisation and the layout of a step's chunks. Training reaches the ranks only through
        // its `Communicator` and `GradientExchange` protocols.
        .target(name: "Distributed", dependencies: ["Tensors", "Layers", "DataPipeline", "CMPI"]),
        // The loop, the run assembler and its configuration; re-exports Distributed.
        .target(
            name: "Training",
            dependencies: [
                "Tensors", "Layers", "Optimizers", "SystemIO", "DataPipeline", "ImageFormats", "TabularFormats", "Shards",
                "Checkpoints", "Distributed",
            ]
        ),
        // The HTML/SVG run report, read back from a run directory (metrics, checkpoints, configuration).
        .target(name: "Reports", dependencies: ["Training", "Checkpoints", "DataPipeline", "SystemIO", "Tensors"]),
        .target(
            name: "Millrace",
            dependencies: [
                "Tensors", "Layers", "Optimizers", "SystemIO", "DataPipeline", "ImageFormats", "TabularFormats", "Shards", "Checkpoints",
                "Distributed", "Training", "Reports",
            ]),
        .target(
            name: "MillraceCommands",
            dependencies: [
                "Millrace", "Tensors", "Layers", "Optimizers", "Training", "Reports", "SystemIO", "DataPipeline", "ImageFormats",
                "TabularFormats", "Shards", "Checkpoints",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The `millrace` executable: one main.swift calling MillraceCommands.
        .executableTarget(name: "MillraceCLI", dependencies: ["MillraceCommands"]),
        // What the README's "Your own `millrace`" shows: a package's own executable with one more
        // layer type; MillraceCLITests run it (OwnCommandTests).
        .executableTarget(name: "OwnMillrace", dependencies: ["MillraceCommands"], path: "Examples/OwnMillrace", exclude: ["own-digits.json"]),
        .target(name: "TestSupport", dependencies: ["Tensors", "Layers", "CPNG", "SystemIO", "DataPipeline"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CMatrixKernel", "SystemIO", "TestSupport"]),
        .testTarget(name: "LayersTests", dependencies: ["Tensors", "Layers", "TestSupport"]),
        .testTarget(
            name: "DataPipelineTests",
            dependencies: [
                "SystemIO", "DataPipeline", "ImageFormats", "TabularFormats", "Shards", "Tensors", "CPNG", "CZlib", "TestSupport",
            ]
        ),
        .testTarget(
            name: "CheckpointsTests",
            dependencies: ["Checkpoints", "Tensors", "TestSupport"]
        ),
        .testTarget(name: "OptimizersTests", dependencies: ["Tensors", "Layers", "Optimizers", "TestSupport"]),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Tensors", "Layers", "Optimizers", "Training", "SystemIO", "DataPipeline", "ImageFormats", "TabularFormats",
                "Checkpoints", "TestSupport",
            ]
        ),
        .testTarget(
            name: "DistributedTests", dependencies: ["Distributed", "Tensors", "Layers", "DataPipeline", "TestSupport"]
        ),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "MillraceTests", dependencies: ["Millrace"]),
        .testTarget(name: "MillraceCLITests", dependencies: ["MillraceCommands", "Millrace", "TestSupport", "OwnMillrace"]),
    ],
    swiftLanguageModes: [.v6]
)
