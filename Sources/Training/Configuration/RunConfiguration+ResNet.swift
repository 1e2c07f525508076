extension RunConfiguration.LayerEntry {
    /// He et al. (2016)'s ResNet for 32x32 images (CIFAR-10), `depth` = 6n + 2 layers with
    /// weights (20, 32, 44, 56, 110): a 3x3 convolution of 16 filters, batch norm and ReLU; three
    /// stages of n basic blocks of 16, 32 and 64 filters (the first block of stages 2 and 3 halves
    /// the size with stride 2 and has a 1x1 strided convolution and batch norm as its shortcut);
    /// a basic block is conv3x3, batch norm, ReLU, conv3x3, batch norm, plus the shortcut, then
    /// ReLU; global average pooling, a flatten and a dense layer for the classes. Convolutions
    /// have no bias (each is followed by a batch norm). `pipelines/cifar-resnet.json` is
    /// `cifarResNet(depth: 20)`, and so is PyTorch's model in `../shared/bench/torch_train_step.py
    /// resnet20`, whose `state_dict` names its tensors as this model's checkpoints do.
    /// Returns nil unless `depth` is 6n + 2 with n at least 1.
    public static func cifarResNet(depth: Int) -> [Self]? {
        guard depth >= 8, (depth - 2) % 6 == 0 else { return nil }
        let blocks = (depth - 2) / 6
        var layers: [Self] = [.conv2d(filters: 16, padding: 1, bias: false), .batchNorm, .relu]
        var width = 16
        for (filters, stride) in [(16, 1), (32, 2), (64, 2)] {
            for block in 0..<blocks {
                let step = block == 0 ? stride : 1
                let body: [Self] = [
                    .conv2d(filters: filters, stride: step, padding: 1, bias: false), .batchNorm, .relu,
                    .conv2d(filters: filters, padding: 1, bias: false), .batchNorm,
                ]
                let projects = step != 1 || width != filters
                let shortcut: [Self] = projects ? [.conv2d(filters: filters, kernel: 1, stride: step, bias: false), .batchNorm] : []
                layers.append(.residual(body, shortcut: shortcut, activation: .relu))
                width = filters
            }
        }
        return layers + [.globalAveragePool, .flatten, .dense()]
    }
}
