import Foundation
import NNCore
import XCTest

final class ImageAugmentationTests: XCTestCase {
    /// A 4x5 image with 2 channels whose values name their pixel: 100·y + 10·x + channel.
    private func image(_ h: Int = 4, _ w: Int = 5, _ c: Int = 2) -> Tensor {
        var t = Tensor(zeros: [h, w, c])
        for y in 0..<h {
            for x in 0..<w { for ch in 0..<c { t.scalars[(y * w + x) * c + ch] = Float(100 * y + 10 * x + ch) } }
        }
        return t
    }

    private func pixel(_ t: Tensor, _ y: Int, _ x: Int, _ ch: Int = 0) -> Float {
        t.scalars[(y * t.shape[1] + x) * t.shape[2] + ch]
    }

    func testFlipMirrorsColumnsAndTwiceIsIdentity() {
        var t = image()
        ImageAugmentation.transform(&t, draw: .init(flip: true))
        XCTAssertEqual(pixel(t, 1, 0, 1), 141)  // came from (1, 4)
        XCTAssertEqual(pixel(t, 3, 4), 300)  // came from (3, 0)
        ImageAugmentation.transform(&t, draw: .init(flip: true))
        XCTAssertEqual(t, image())
    }

    func testIdentityDrawsChangeNothing() {
        var t = image()
        ImageAugmentation.transform(&t, draw: .init(degrees: 0, shear: 0, zoom: 1))
        XCTAssertEqual(t, image())
    }

    func testShiftMovesAKnownPixelAndFillsZeros() {
        var t = image()
        ImageAugmentation.transform(&t, draw: .init(shiftY: 1, shiftX: -2))
        XCTAssertEqual(pixel(t, 2, 1, 1), 131)  // (1, 3) moved down 1 and left 2
        XCTAssertEqual(pixel(t, 0, 2), 0)  // shifted in from above
        XCTAssertEqual(pixel(t, 2, 3), 0)  // shifted in from the right
    }

    func testRotationByNinetyTurnsClockwise() {
        var t = image(3, 3, 1)
        ImageAugmentation.transform(&t, draw: .init(degrees: 90))
        // The pixel right of the centre, (1, 2) = 120, lands below it at (2, 1); (0, 0) = 0
        // goes to the top-right corner, (0, 2) = 20 to the bottom-right.
        XCTAssertEqual(pixel(t, 2, 1), 120, accuracy: 1e-4)
        XCTAssertEqual(pixel(t, 0, 2), 0, accuracy: 1e-4)
        XCTAssertEqual(pixel(t, 2, 2), 20, accuracy: 1e-4)
        XCTAssertEqual(pixel(t, 1, 1), 110, accuracy: 1e-4)
    }

    func testShearZoomAndBrightness() {
        var sheared = image(3, 3, 1)
        ImageAugmentation.transform(&sheared, draw: .init(shear: 1))
        // Row 2 (one below the centre) moves right by one: out[2, 2] = in[2, 1].
        XCTAssertEqual(pixel(sheared, 2, 2), 210, accuracy: 1e-4)
        XCTAssertEqual(pixel(sheared, 2, 0), 0, accuracy: 1e-4)
        XCTAssertEqual(pixel(sheared, 1, 0), 100, accuracy: 1e-4)
        var zoomed = image(5, 5, 1)
        ImageAugmentation.transform(&zoomed, draw: .init(zoom: 2))
        // Zoom 2 about the centre (2, 2): out[0, 0] samples (1, 1); out[0, 1] halfway to (1, 1.5).
        XCTAssertEqual(pixel(zoomed, 0, 0), 110, accuracy: 1e-4)
        XCTAssertEqual(pixel(zoomed, 0, 1), 115, accuracy: 1e-4)
        var bright = image()
        ImageAugmentation.transform(&bright, draw: .init(brightness: 1.5))
        XCTAssertEqual(pixel(bright, 3, 4, 1), 1.5 * 341)
    }

    func testDrawsAreSeededAndStayInRange() {
        let augmentation = ImageAugmentation(
            flipHorizontal: true, rotation: 10, shear: 0.1, zoom: 0.1, crop: 2, brightness: 0.2)
        var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
        var flips = 0
        for _ in 0..<500 {
            let d = augmentation.draw(&a)
            XCTAssertEqual(d, augmentation.draw(&b))
            XCTAssert(abs(d.degrees) <= 10 && abs(d.shear) <= 0.1 && abs(d.zoom - 1) <= 0.1)
            XCTAssert(abs(d.shiftY) <= 2 && abs(d.shiftX) <= 2 && abs(d.brightness - 1) <= 0.2)
            if d.flip { flips += 1 }
        }
        XCTAssert(flips > 200 && flips < 300)
        var batch = Tensor(repeating: 1, shape: [3, 6, 6, 1])
        var one = SeededGenerator(seed: 1), two = SeededGenerator(seed: 1)
        var copy = batch
        augmentation.apply(to: &batch, rng: &one)
        augmentation.apply(to: &copy, rng: &two)
        XCTAssertEqual(batch, copy)
        XCTAssertNotEqual(batch, Tensor(repeating: 1, shape: [3, 6, 6, 1]))
    }

    private func decode(_ json: String) throws -> TrainingConfig {
        try JSONDecoder().decode(TrainingConfig.self, from: Data(json.utf8))
    }

    private let base = #"{"loss": "cross_entropy", "optimizer": {"type": "sgd", "learning_rate": 0.1}"#

    func testDecodingAndPaths() throws {
        let config = try decode(
            base
                + #", "augmentation": {"flip_horizontal": true, "rotation": 10, "shear": 0.1, "zoom": 0.1, "crop": 2, "brightness": 0.2}}"#
        )
        XCTAssertEqual(
            config.augmentation,
            ImageAugmentation(flipHorizontal: true, rotation: 10, shear: 0.1, zoom: 0.1, crop: 2, brightness: 0.2))
        let again = try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(again, config)
        for (field, path) in [
            (#""rotaton": 3"#, "augmentation.rotaton"), (#""rotation": 200"#, "augmentation.rotation"),
            (#""zoom": 1"#, "augmentation.zoom"), (#""crop": -1"#, "augmentation.crop"),
            (#""brightness": "x""#, "augmentation.brightness"),
        ] {
            XCTAssertThrowsError(try decode(base + #", "augmentation": {"# + field + "}}")) { error in
                XCTAssertEqual((error as? SpecError)?.path, path, field)
            }
        }
    }

    func testNonImageInputsRejectAugmentation() throws {
        let network = try Network(
            spec: ModelSpec(inputShape: [4], layers: [.dense(units: 2, activation: .linear, useBias: true)]), seed: 0)
        let data = Dataset(inputs: Tensor(zeros: [2, 4]), targets: .classes([0, 1], count: 2))
        let config = TrainingConfig(
            loss: .crossEntropy, optimizer: .sgd(learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0),
            augmentation: ImageAugmentation(flipHorizontal: true))
        XCTAssertThrowsError(try Trainer(network: network, config: config, training: data, validation: nil)) { error in
            XCTAssertEqual((error as? SpecError)?.path, "augmentation")
        }
    }
}
