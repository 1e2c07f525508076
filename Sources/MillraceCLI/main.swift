// The `millrace` executable: the command of MillraceCommands with the built-in layers, losses
// and optimizers. A package's own executable does the same after registering its own types.
import MillraceCommands

MillraceCommand.main()
