/// The data-parallel pieces (`Communicator`, `SingleProcess`, `MPICommunicator`, the gradient
/// exchanges, `SynchronizedBatchNorm`, `DataParallel`) live in the `Distributed` module; code that
/// imports `Training` sees them as before.
@_exported import Distributed
