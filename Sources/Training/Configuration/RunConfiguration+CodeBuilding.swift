import Foundation

extension RunConfiguration.LayerEntry {
    /// A registered layer type with its specification (a custom layer: `.layer("layernorm", LayerNormSpecification())`).
    public static func layer(_ type: String, _ specification: any LayerSpecification) -> Self {
        Self(type: type, specification: specification)
    }

    /// `dense`: `units` outputs (nil: as many as the data has classes, for the last dense layer).
    public static func dense(units: Int? = nil) -> Self {
        .layer("dense", DenseSpecification { $0.units = units })
    }

    /// `conv2d`: `filters` output channels, a `kernel` x `kernel` window, `stride`, zero `padding`,
    /// and a bias per filter unless `bias` is false.
    public static func conv2d(filters: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 0, bias: Bool = true) -> Self {
        .layer(
            "conv2d",
            Conv2DSpecification {
                $0.filters = filters
                $0.kernel = kernel
                $0.stride = stride
                $0.padding = padding
                $0.bias = bias ? nil : false
            })
    }

    /// `residual`: `activation(body(x) + shortcut(x))`, the shortcut the identity when empty.
    public static func residual(
        _ layers: [Self], shortcut: [Self] = [], activation: ResidualActivation? = nil
    ) -> Self {
        .layer(
            "residual",
            ResidualSpecification {
                $0.layers = layers
                $0.shortcut = shortcut.isEmpty ? nil : shortcut
                $0.activation = activation
            })
    }

    /// `maxpool`: the largest value of each `kernel` x `kernel` window (stride: the kernel).
    public static func maxPool(kernel: Int = 2, stride: Int? = nil) -> Self {
        .layer(
            "maxpool",
            MaxPoolSpecification {
                $0.kernel = kernel
                $0.stride = stride
            })
    }

    /// `dropout`: zeroes each value with `probability` in training.
    public static func dropout(_ probability: Float) -> Self {
        .layer("dropout", DropoutSpecification { $0.probability = probability })
    }

    /// `batchnorm` with the default momentum and epsilon.
    public static var batchNorm: Self { .layer("batchnorm", BatchNormSpecification()) }
    /// `relu`.
    public static var relu: Self { layer("relu") }
    /// `sigmoid`.
    public static var sigmoid: Self { layer("sigmoid") }
    /// `tanh`.
    public static var tanh: Self { layer("tanh") }
    /// `softmax`.
    public static var softmax: Self { layer("softmax") }
    /// `flatten`.
    public static var flatten: Self { layer("flatten") }
    /// `global-avgpool`.
    public static var globalAveragePool: Self { layer("global-avgpool") }

    /// A layer type by name alone, as a file's `{"type": name}`: a built-in without settings, a
    /// layer registered with `LayerRegistry.register(_:making:)` or `register(_:layer:making:)`,
    /// or a registered specification whose settings all have defaults.
    public static func layer(_ type: String) -> Self {
        // Decoded like a file's `{"type": ...}`, so an unregistered name fails when the run
        // validates its configuration, naming the layer.
        let object = Data("{\"type\":\(String(reflecting: type))}".utf8)
        do {
            return try JSONDecoder().decode(Self.self, from: object)
        } catch {
            // The registry's own error (the name, the registered names), raised when the model is built.
            let problem = SpecificationError(error)
            return Self(type: type, specification: ParameterlessLayerSpecification(type: type) { _ in throw problem })
        }
    }
}

extension RunConfiguration.Dataset {
    /// A folder of PNG images, one subfolder per class, read as `channels` (nil: as stored);
    /// validation on a seeded `validationSplit` of it or on a separate folder (`validationPath`).
    public static func images(
        _ path: String, channels: ImageChannels? = nil, validationSplit: Double? = nil, validationPath: String? = nil
    ) -> Self {
        var dataset = located(.imageFolder, path, validationSplit: validationSplit, validationPath: validationPath)
        dataset.channels = channels
        return dataset
    }

    /// A CSV file whose `labelColumn` holds the labels (nil: the last column), or whose
    /// `targetColumns` hold numeric targets (a regression; with a regression loss) or 0/1 labels
    /// (multi-label; with `binary-cross-entropy-with-logits`).
    public static func csv(
        _ path: String, labelColumn: String? = nil, targetColumns: [String]? = nil, validationSplit: Double? = nil, validationPath: String? = nil
    ) -> Self {
        var dataset = located(.csv, path, validationSplit: validationSplit, validationPath: validationPath)
        dataset.labelColumn = labelColumn
        dataset.targetColumns = targetColumns
        return dataset
    }

    /// Data of `kind` at `path`, validated on a split of it or on `validationPath`.
    private static func located(_ kind: DataKind, _ path: String, validationSplit: Double?, validationPath: String?) -> Self {
        Self {
            $0.kind = kind
            $0.path = path
            $0.validationSplit = validationSplit
            $0.validationPath = validationPath
        }
    }
}

extension RunConfiguration.Optimizer {
    /// SGD with optional momentum.
    public static func sgd(learningRate: Float, momentum: Float? = nil, nesterov: Bool? = nil, weightDecay: Float? = nil) -> Self {
        Self {
            $0.learningRate = learningRate
            $0.weightDecay = weightDecay
            $0.settings = SGDSpecification {
                $0.momentum = momentum
                $0.nesterov = nesterov
            }
        }
    }

    /// Adam with the default betas and epsilon unless given.
    public static func adam(learningRate: Float, beta1: Float? = nil, beta2: Float? = nil, weightDecay: Float? = nil) -> Self {
        Self {
            $0.type = "adam"
            $0.learningRate = learningRate
            $0.weightDecay = weightDecay
            $0.settings = AdamSpecification {
                $0.beta1 = beta1
                $0.beta2 = beta2
            }
        }
    }

    /// AdamW (decoupled weight decay, default 0.01) with the default betas and epsilon unless
    /// given; `noWeightDecay` leaves biases or batch-norm parameters out of the decay.
    public static func adamW(
        learningRate: Float, beta1: Float? = nil, beta2: Float? = nil, epsilon: Float? = nil, weightDecay: Float? = nil,
        noWeightDecay: [WeightDecayExemptionChoice]? = nil
    ) -> Self {
        Self {
            $0.type = "adamw"
            $0.learningRate = learningRate
            $0.weightDecay = weightDecay
            $0.noWeightDecay = noWeightDecay
            $0.settings = AdamWSpecification {
                $0.beta1 = beta1
                $0.beta2 = beta2
                $0.epsilon = epsilon
            }
        }
    }

    /// The optimizer with its gradients' global norm clipped to `maxNorm` before each update.
    public func clippingGradients(maxNorm: Float) -> Self {
        var copy = self
        copy.gradientClipping = RunConfiguration.GradientClipping { $0.maxNorm = maxNorm }
        return copy
    }
}
