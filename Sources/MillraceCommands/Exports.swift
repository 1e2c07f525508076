// `import MillraceCommands` also gives every module of the framework (the `Millrace` umbrella),
// so that a package's own `millrace` main.swift can register its types with one import.
@_exported import Millrace
