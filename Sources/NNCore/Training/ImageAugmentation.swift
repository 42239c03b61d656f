/// On-the-fly augmentation of image training batches (`augmentation` of a training job).
///
/// Every sample of every training batch gets its own random transform, drawn from the
/// trainer's per-epoch generator (so a seed fixes them and a resumed run draws the same).
/// Draws happen sample by sample in batch order, and per sample in this order, only for the
/// transforms that are on: flip (probability ½), rotation angle uniform in ±`rotation`
/// degrees, shear factor uniform in ±`shear`, zoom factor uniform in [1 − zoom, 1 + zoom],
/// vertical then horizontal shift, each a whole number uniform in −crop…crop, and a brightness
/// factor uniform in [1 − brightness, 1 + brightness].
///
/// The transforms then apply in this order (see `ImageAugmentation+Transforms.swift` for
/// exactly how each one moves pixels): horizontal flip, the affine map (rotation, shear and
/// zoom about the image centre, bilinear, zeros outside), the shift (zeros shifted in), and
/// the brightness factor. Validation and inference data are never augmented.
public struct ImageAugmentation: Equatable, Sendable {
    public var flipHorizontal: Bool
    /// Largest rotation in degrees, 0…180.
    public var rotation: Double
    /// Largest horizontal shear factor (x moves by shear·y), 0…1.
    public var shear: Double
    /// Largest relative zoom, 0…<1.
    public var zoom: Double
    /// Largest shift in pixels along each axis.
    public var crop: Int
    /// Largest relative change of brightness, 0…1.
    public var brightness: Double

    public init(
        flipHorizontal: Bool = false, rotation: Double = 0, shear: Double = 0, zoom: Double = 0,
        crop: Int = 0, brightness: Double = 0
    ) {
        self.flipHorizontal = flipHorizontal
        self.rotation = rotation
        self.shear = shear
        self.zoom = zoom
        self.crop = crop
        self.brightness = brightness
    }

    /// One sample's transform. The identity leaves every value unchanged.
    public struct Draw: Equatable, Sendable {
        public var flip = false
        public var degrees: Float = 0
        public var shear: Float = 0
        public var zoom: Float = 1
        public var shiftY = 0
        public var shiftX = 0
        public var brightness: Float = 1

        public init(
            flip: Bool = false, degrees: Float = 0, shear: Float = 0, zoom: Float = 1,
            shiftY: Int = 0, shiftX: Int = 0, brightness: Float = 1
        ) {
            (self.flip, self.degrees, self.shear, self.zoom) = (flip, degrees, shear, zoom)
            (self.shiftY, self.shiftX, self.brightness) = (shiftY, shiftX, brightness)
        }

        var isAffine: Bool { degrees != 0 || shear != 0 || zoom != 1 }
    }

    /// Draws one sample's transform in the documented order.
    public func draw(_ rng: inout SeededGenerator) -> Draw {
        var d = Draw()
        if flipHorizontal { d.flip = rng.uniform() < 0.5 }
        if rotation > 0 { d.degrees = rng.uniform(-Float(rotation), Float(rotation)) }
        if shear > 0 { d.shear = rng.uniform(-Float(shear), Float(shear)) }
        if zoom > 0 { d.zoom = rng.uniform(1 - Float(zoom), 1 + Float(zoom)) }
        if crop > 0 {
            d.shiftY = rng.index(below: 2 * crop + 1) - crop
            d.shiftX = rng.index(below: 2 * crop + 1) - crop
        }
        if brightness > 0 { d.brightness = rng.uniform(1 - Float(brightness), 1 + Float(brightness)) }
        return d
    }

    /// Augments every sample of a `[N, H, W, C]` batch in place.
    public func apply(to batch: inout Tensor, rng: inout SeededGenerator) {
        precondition(batch.rank == 4, "augmentation needs [N, H, W, C] images; the trainer checks this first")
        let (h, w, c) = (batch.shape[1], batch.shape[2], batch.shape[3])
        let size = h * w * c, count = batch.batchSize
        var scratch = [Float](repeating: 0, count: size)
        batch.scalars.withUnsafeMutableBufferPointer { x in
            scratch.withUnsafeMutableBufferPointer { s in
                for n in 0..<count {
                    let d = draw(&rng)
                    Self.transform(
                        x.baseAddress! + n * size, height: h, width: w, channels: c, draw: d,
                        scratch: s.baseAddress!)
                }
            }
        }
    }

    /// Applies one drawn transform to a single `[H, W, C]` image.
    public static func transform(_ image: inout Tensor, draw: Draw) {
        precondition(image.rank == 3, "one image is [H, W, C]")
        var scratch = [Float](repeating: 0, count: image.count)
        let (h, w, c) = (image.shape[0], image.shape[1], image.shape[2])
        image.scalars.withUnsafeMutableBufferPointer { x in
            scratch.withUnsafeMutableBufferPointer { s in
                transform(x.baseAddress!, height: h, width: w, channels: c, draw: draw, scratch: s.baseAddress!)
            }
        }
    }
}
