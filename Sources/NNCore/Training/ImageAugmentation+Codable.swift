/// The `augmentation` object of a training job; every field is optional, unknown fields and
/// out-of-range values are rejected with their path (`augmentation.rotation`).
extension ImageAugmentation: Codable {
    static let fields: Set<String> = ["flip_horizontal", "rotation", "shear", "zoom", "crop", "brightness"]

    public init(from decoder: Decoder) throws {
        let f = try decoder.container(keyedBy: AnyKey.self)
        try f.rejectUnknownFields(allowed: Self.fields, context: "augmentation")
        func number(_ name: String, _ range: ClosedRange<Double>, excludingUpper: Bool = false) throws -> Double {
            let value = try f.optional(Double.self, name) ?? 0
            guard range.contains(value), !(excludingUpper && value == range.upperBound) else {
                let upper = excludingUpper ? "below \(range.upperBound)" : "at most \(range.upperBound)"
                throw SpecError(path: name, "'\(name)' must be \(range.lowerBound) or more and \(upper), got \(value)")
            }
            return value
        }
        let crop = try f.optional(Int.self, "crop") ?? 0
        guard (0...1024).contains(crop) else {
            throw SpecError(path: "crop", "'crop' is a shift in pixels between 0 and 1024, got \(crop)")
        }
        self.init(
            flipHorizontal: try f.optional(Bool.self, "flip_horizontal") ?? false,
            rotation: try number("rotation", 0...180),
            shear: try number("shear", 0...1),
            zoom: try number("zoom", 0...1, excludingUpper: true),
            crop: crop,
            brightness: try number("brightness", 0...1))
    }

    public func encode(to encoder: Encoder) throws {
        var f = encoder.container(keyedBy: AnyKey.self)
        try f.encode(flipHorizontal, forKey: AnyKey("flip_horizontal"))
        try f.encode(rotation, forKey: AnyKey("rotation"))
        try f.encode(shear, forKey: AnyKey("shear"))
        try f.encode(zoom, forKey: AnyKey("zoom"))
        try f.encode(crop, forKey: AnyKey("crop"))
        try f.encode(brightness, forKey: AnyKey("brightness"))
    }
}
